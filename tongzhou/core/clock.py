"""The one place that reads the clock, so tests can freeze time and dates stay local."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    """Today's business date in Asia/Shanghai (never the UTC date)."""
    return timezone.localdate(now())


def stamp() -> dt.datetime:
    """`now()`, as a model field's default: looked up when called, so a frozen clock holds."""
    return now()
