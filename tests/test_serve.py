"""The production server command starts and serves the platform (no database is touched)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http(tmp_path: Path) -> None:
    port = _free_port()
    # The schema is read anonymously here: published, as for terminal vendors.
    env = {**os.environ, "TONGZHOU_VAR_DIR": str(tmp_path), "TONGZHOU_PUBLIC_API_DOCS": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        document = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2
                ) as answer:
                    document = json.load(answer)
                break
            except OSError:
                time.sleep(0.2)
        assert document is not None, "the server did not answer"
        assert "/api/v1/checkout" in document["paths"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/terminal/", timeout=5) as page:
            assert page.status == 200  # a page with static files: the manifest is there
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/checkout", data=b"{}", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 - http to ourselves
        assert refused.value.code == 401
        # The workers' figures, added up from the folder they share.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as figures:
            text = figures.read().decode()
        assert 'route="api/v1/checkout",status="401"' in text
        # This database was never migrated: the queues are left out, the requests still come.
        assert "tongzhou_database_up 0.0" in text
        assert (tmp_path / "metrics").is_dir() and any((tmp_path / "metrics").iterdir())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_serve_refuses_a_bad_address() -> None:
    with pytest.raises(CommandError, match="host:port"):
        call_command("serve", "--bind", "8000")


def test_serve_refuses_to_start_without_collected_static_files(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def served(*args: Any, **kwargs: Any) -> None:
        pytest.fail("it would have served pages that cannot find their static files")

    monkeypatch.setattr("granian.Granian", served)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path
    with pytest.raises(CommandError, match="collectstatic"):
        call_command("serve", "--bind", "127.0.0.1:0")
