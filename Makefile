# Tongzhou: `make run` sets up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.dev-$(shell cat requirements-dev.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint clean-db chromium

run: $(RUN_STAMP) var/local.env
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_zhoushan
	$(PY) manage.py load_default_policy
	$(PY) manage.py load_default_service_list
	$(PY) manage.py generate_demo --scale small --if-empty
	$(PY) manage.py load_board_catalogue
	$(PY) manage.py recompute_board
	@echo "Serving on http://127.0.0.1:8000/ (Ctrl-C to stop)"
	TONGZHOU_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: $(DEV_STAMP) var/local.env chromium
	$(PY) -m pytest

lint: $(DEV_STAMP) var/local.env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run -v0

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.lock pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.run-*
	touch $@

$(DEV_STAMP): requirements-dev.lock pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.lock
	$(PY) -m pip install -q --no-deps -e .
	rm -f $(VENV)/.dev-* $(VENV)/.run-*
	touch $@ $(RUN_STAMP)

# Per-install random keys for the embedded default; real deployments set the environment.
var/local.env: | $(VENV)/bin/python
	mkdir -p var
	$(PY) -m tongzhou.core.keys > $@.tmp && mv $@.tmp $@
	chmod 600 $@

# Browser tests drive Debian's chromium (Playwright's own browser download is not reachable).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean-db:
	rm -f var/tongzhou.sqlite3 var/tongzhou.sqlite3-* var/demo-terminals.txt
