"""The health endpoints answer: alive, and ready when the database, the migrations, the keys
and the disk are."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from tongzhou.core import crypto

pytestmark = pytest.mark.django_db


def test_alive_and_ready() -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}
    ready = Client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "keys": "ok", "disk": "ok"}}  # fmt: skip


def test_not_ready_on_keys_that_cannot_read_the_data(make_elder: Any, settings: Any) -> None:
    make_elder("330902002001")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto.reset_caches()
    try:
        ready = Client().get("/readyz")
    finally:
        crypto.reset_caches()
    assert ready.status_code == 503
    assert ready.json()["checks"]["keys"] == "cannot read the stored data"
