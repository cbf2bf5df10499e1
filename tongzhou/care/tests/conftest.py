from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from tongzhou.access.roles import Role
from tongzhou.bookings.tests.conftest import at, now  # noqa: F401 - the clock the tests move
from tongzhou.care.models import Carer, Provider

VILLAGE = "330902002001"  # on 舟山本岛


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
