"""Helpers shared by server-rendered pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.text import only_ascii_digits


def run_and_report(request: HttpRequest, work: Callable[[], Any], done: str) -> None:
    """Run a service call from a form: say `done` on the page, or the service's refusal."""
    try:
        work()
    except DomainError as refused:
        messages.error(request, refused.message())
    else:
        messages.success(request, done)


def form_id(value: str | None) -> int:
    """An id from a form or a query; 0 (found by nothing) when it is not a number."""
    return int(value) if value and only_ascii_digits(value) else 0


def day_asked(value: str | None) -> dt.date:
    """A date a page was asked for (YYYY-MM-DD); today when absent or unreadable."""
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return clock.today()


def month_asked(value: str | None) -> dt.date:
    """The first day of the month a page was asked for (YYYY-MM), else of this month."""
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except (TypeError, ValueError):
        return clock.today().replace(day=1)
