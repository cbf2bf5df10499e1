"""The monitoring's figures: requests by route, method and status, latency, and refusals by
code, at /metrics for the scraper (its token, or this machine when no token is set)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_requests_and_refusals_are_counted_by_route_and_code() -> None:
    Client().get("/healthz")
    Client().get("/api/v1/elders")  # refused: sign in first
    text = Client().get("/metrics").content.decode()
    assert 'tongzhou_requests_total{method="GET",route="healthz",status="200"}' in text
    assert 'tongzhou_requests_total{method="GET",route="api/v1/elders",status="401"}' in text
    assert 'tongzhou_refusals_total{code="not_authenticated"}' in text
    assert 'tongzhou_request_seconds_bucket{le="0.005",route="healthz"}' in text


def test_only_the_scraper_reads_them(settings: Any) -> None:
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert Client().get("/metrics").status_code == 404  # a token is set: this machine too
    scraper = Client(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert scraper.get("/metrics").status_code == 200
