"""A delivering canteen on 岱山 with lunch and dinner, and a clock the tests move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongzhou.canteens.models import Canteen
from tongzhou.canteens.services import meal_session_set
from tongzhou.core import clock

VILLAGE = "330902002001"


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    set_now(at(2026, 3, 10, 9))
    return set_now


@pytest.fixture
def canteen(make_canteen: Callable[..., Canteen], superuser: Any, now: Any) -> Canteen:
    call_command("load_default_policy", stdout=StringIO())
    canteen = make_canteen(VILLAGE, delivers=True)
    for kind, start, end in (("lunch", 10, 13), ("dinner", 16, 18)):
        meal_session_set(
            actor=superuser,
            canteen=canteen,
            kind=kind,
            starts_at=dt.time(start),
            ends_at=dt.time(end),
        )
    return canteen
