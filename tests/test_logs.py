"""Logs a machine can read: JSON lines carrying the request id; slow requests and slow
statements logged with their route."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from tongzhou.core.context import reset_request_id, set_request_id
from tongzhou.core.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_a_json_line_carries_the_request_id_and_the_details() -> None:
    record = logging.makeLogRecord({"name": "tongzhou.requests", "levelname": "WARNING",
                                    "msg": "slow request", "route": "api/v1/checkout"})  # fmt: skip
    token = set_request_id("req-0042")
    try:
        RequestIdFilter().filter(record)
    finally:
        reset_request_id(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-0042" and line["route"] == "api/v1/checkout"
    assert line["message"] == "slow request" and line["level"] == "WARNING"


def test_slow_requests_and_statements_are_logged_with_their_route(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SLOW_REQUEST_MS = 0
    settings.SLOW_QUERY_MS = 0
    with caplog.at_level(logging.WARNING, logger="tongzhou.requests"):
        Client().get("/readyz", HTTP_X_REQUEST_ID="probe-000001")
    slow = {record.getMessage(): record for record in caplog.records}
    assert slow["slow request"].route == "readyz"  # type: ignore[attr-defined]
    assert slow["slow query"].route == "readyz"  # type: ignore[attr-defined]
    settings.SLOW_REQUEST_MS = settings.SLOW_QUERY_MS = 60_000
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tongzhou.requests"):
        Client().get("/readyz")
    assert caplog.records == []
