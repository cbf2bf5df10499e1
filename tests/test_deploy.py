"""The documented production configuration passes Django's deployment checks with no
warning, and a weak or default secret refuses to start outside debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "TONGZHOU_DEBUG": "0",
    "TONGZHOU_HTTPS": "1",
    "TONGZHOU_ALLOWED_HOSTS": "tongzhou.zhoushan.example",
    "TONGZHOU_SECRET_KEY": "k7Jq2-vX9pLmN4rT8wYzB1cD5fG6hJ0kL3mN7pQ9sU2vW4xY6zA8bC0dE1fG3hJ5",
    "TONGZHOU_LOOKUP_KEY": "Zt4mQ8pL2vX7nB1cR5yW9kD3fH6jS0gA4uE8iO2lP6qT",
    "TONGZHOU_FIELD_KEYS": Fernet.generate_key().decode(),
    "TONGZHOU_ENV_FILE": "/nonexistent",  # nothing from var/local.env
}


def _manage(*args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TONGZHOU_", "DJANGO_ALLOW_ASYNC_UNSAFE"))}  # fmt: skip
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **PRODUCTION, **overrides},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path: Path) -> None:
    # A database of its own: the check reads stored data, and this machine's demo
    # database was written under other keys.
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_weak_or_default_secret_refuses_to_start() -> None:
    for secret in ("insecure-placeholder-change-me", "short-secret", "a" * 64):
        result = _manage("check", TONGZHOU_SECRET_KEY=secret)
        assert result.returncode != 0
        assert "TONGZHOU_SECRET_KEY" in result.stderr and "too weak" in result.stderr
