"""Prometheus metrics (prometheus_client): every request by route, method and status, its
latency, and refusals by their stable code. A sale is `POST api/v1/checkout` answered 201;
an offline upload is `POST api/v1/terminal/offline-sales`.

Under `manage.py serve` each worker is a process: with PROMETHEUS_MULTIPROC_DIR set (an empty
folder, emptied at each start), every worker writes its figures there and `/metrics` adds
them up; without it, a process reports its own. Queue lengths and the database's
connections are read from the database at each scrape (`gauges.py`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from tongzhou.operations.gauges import QueueCollector

log = logging.getLogger("tongzhou.requests")
REQUESTS = Counter("tongzhou_requests_total", "Requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "tongzhou_request_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REFUSALS = Counter("tongzhou_refusals_total", "Requests refused, by stable code", ["code"])


def _route(request: HttpRequest) -> str:
    # The URL pattern, never the path itself: receipt numbers and ids would make a label
    # per request.
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with connection.execute_wrapper(partial(_timed_query, request)):
            response = self.get_response(request)
        route = _route(request)
        seconds = time.perf_counter() - started
        REQUESTS.labels(route, request.method or "", str(response.status_code)).inc()
        LATENCY.labels(route).observe(seconds)
        if seconds * 1000 >= settings.SLOW_REQUEST_MS:
            log.warning("slow request", extra={"route": route, "method": request.method,
                        "status": response.status_code, "ms": round(seconds * 1000)})  # fmt: skip
        return response


def _timed_query(
    request: HttpRequest, execute: Any, sql: str, params: Any, many: bool, context: Any
) -> Any:
    """Times each database statement of a request; a slow one is logged with its route."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        ms = (time.perf_counter() - started) * 1000
        if ms >= settings.SLOW_QUERY_MS:
            log.warning("slow query", extra={"route": _route(request), "ms": round(ms),
                                             "sql": sql[:300]})  # fmt: skip


def count_refusal(code: str) -> None:
    REFUSALS.labels(code).inc()


def metrics(request: HttpRequest) -> HttpResponse:
    """The figures in Prometheus' text format: for the monitoring's scraper, which presents
    `Authorization: Bearer <TONGZHOU_METRICS_TOKEN>`, or from this machine when no token is
    set."""
    token = settings.METRICS_TOKEN
    allowed = (
        request.META.get("HTTP_AUTHORIZATION", "") == f"Bearer {token}"
        if token
        else request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
    )
    if not allowed:
        return HttpResponse(status=404)
    registry = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessFigures())
    registry.register(QueueCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessFigures(Collector):
    """This process's own figures (the default registry), when there are no workers'
    figures to add up."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
