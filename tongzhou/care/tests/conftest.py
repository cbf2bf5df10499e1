from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.care.models import Carer, Provider
from tongzhou.core import clock

VILLAGE = "330902002001"  # on 舟山本岛


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    set_now(at(2026, 3, 10, 9))
    return set_now


@pytest.fixture
def care_list(db: Any) -> None:
    call_command("load_default_service_list", stdout=None)


@pytest.fixture
def provider(db: Any, region: Callable[[str], Any]) -> Provider:
    return Provider.objects.create(
        name="定海区颐养服务社", kind=Provider.Kind.SOCIAL, region=region("330902")
    )


@pytest.fixture
def carer_user(make_user: Callable[..., Any], provider: Provider) -> Any:
    user = make_user(Role.CARER, region="330902")
    Carer.objects.create(
        provider=provider,
        user=user,
        name="王护理",
        certificate_level="junior",
        certificate_expires=dt.date(2028, 1, 1),
    )
    return user
