"""Helpers shared by server-rendered pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from tongzhou.core.errors import DomainError


def run_and_report(request: HttpRequest, work: Callable[[], Any], done: str) -> None:
    """Run a service call from a form: say `done` on the page, or the service's refusal."""
    try:
        work()
    except DomainError as refused:
        messages.error(request, refused.message())
    else:
        messages.success(request, done)
