"""Gauges read from the database when `/metrics` is scraped: the work waiting for people (the
queues an IT officer watches) and the database's connections. They are the same for every
worker process, so they are read once per scrape, not kept per process."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import DatabaseError, connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tongzhou.bookings.models import Booking, BookingMode, BookingStatus, WellnessAlert
from tongzhou.core import clock
from tongzhou.meals.models import Meal, OfflineOutcome, OfflineSale
from tongzhou.settlement.models import AnomalyCase


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class QueueCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        # The requests' figures must reach the monitoring when the database cannot: then the
        # queues are left out and `tongzhou_database_up` says why.
        try:
            figures = list(_queues()) + list(_database())
        except DatabaseError:
            figures = []
        yield _gauge("tongzhou_database_up", "1 when the database answered this scrape",
                     1 if figures else 0)  # fmt: skip
        yield from figures


def _queues() -> Iterator[GaugeMetricFamily]:
    today = clock.today()
    yield _gauge("tongzhou_sales_today", "Meals sold today (business date)",
                 Meal.objects.filter(business_date=today).count())  # fmt: skip
    yield _gauge(
        "tongzhou_offline_sales_in_review",
        "Offline sales that could not be posted, waiting for a person",
        OfflineSale.objects.filter(outcome=OfflineOutcome.REVIEW, resolved_at__isnull=True).count(),
    )
    yield _gauge(
        "tongzhou_deliveries_waiting",
        "Today's home deliveries not yet handed over or reported",
        Booking.objects.filter(
            date=today, mode=BookingMode.DELIVERY, status=BookingStatus.BOOKED
        ).count(),
    )
    yield _gauge("tongzhou_wellness_alerts_open", "Wellness alerts not yet closed",
                 WellnessAlert.objects.filter(closed_at__isnull=True).count())  # fmt: skip
    yield _gauge("tongzhou_anomaly_cases_open", "Anomaly cases not yet resolved",
                 AnomalyCase.objects.filter(resolved_at__isnull=True).count())  # fmt: skip


def _database() -> Iterator[GaugeMetricFamily]:
    """Connections to this database by state, and the server's limit (PostgreSQL only: the
    embedded SQLite has no connections to run out of)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() GROUP BY 1"
        )
        states = cursor.fetchall()
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'max_connections'")
        (limit,) = cursor.fetchone()
    by_state = GaugeMetricFamily(
        "tongzhou_db_connections", "Connections to the database, by state", labels=["state"]
    )
    for state, count in states:
        by_state.add_metric([state], count)
    yield by_state
    yield _gauge("tongzhou_db_connections_max", "The database server's max_connections", limit)
