"""The queues at /metrics are read from the database at each scrape, the same whichever
worker answers: today's sales, offline sales waiting for review, and the connections."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tongzhou.meals.models import OfflineOutcome, OfflineSale
from tongzhou.meals.tests.test_qr_checkout import sell

pytestmark = pytest.mark.django_db


def _figures() -> str:
    return Client().get("/metrics").content.decode()


def test_queues_and_connections_are_read_at_each_scrape(counter: Any, make_member: Any) -> None:
    assert "tongzhou_sales_today 0.0" in _figures() and "tongzhou_database_up 1.0" in _figures()
    _elder, card = make_member()
    assert sell(counter, card, "m1").status_code == 201
    figures = _figures()
    assert "tongzhou_sales_today 1.0" in figures
    assert "tongzhou_offline_sales_in_review 0.0" in figures
    upload = {"sales": [{"client_id": "c" * 12, "receipt_no": "o1", "card": "NOSUCHCARD1",
              "device_time": "2026-03-12T11:20:00+08:00", "session": "lunch",
              "lines": [{"amount_fen": 1200}]}]}  # fmt: skip
    answer = counter.client().post(
        "/api/v1/terminal/offline-sales", upload, content_type="application/json"
    )
    assert answer.json()["results"][0]["outcome"] == OfflineOutcome.REVIEW
    assert OfflineSale.objects.filter(outcome=OfflineOutcome.REVIEW).count() == 1
    assert "tongzhou_offline_sales_in_review 1.0" in _figures()
    if connection.vendor == "postgresql":
        assert 'tongzhou_db_connections{state="active"}' in _figures()
        assert "tongzhou_db_connections_max" in _figures()
