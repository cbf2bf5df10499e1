"""Which version is in force: a look ahead at a future day never hides a version published
for that day afterwards."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongzhou.core import clock
from tongzhou.geo.models import Region
from tongzhou.subsidies.models import SubsidyPolicy, SubsidyRule
from tongzhou.subsidies.selectors import policy_in_force
from tongzhou.subsidies.services import policy_version_create

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 12, 11, 30, tzinfo=timezone.get_default_timezone())


def _publish(actor: Any, start: dt.date) -> SubsidyPolicy:
    return policy_version_create(
        actor=actor,
        policy=SubsidyPolicy(
            region=Region.objects.get(code="330902"), name="定海加码", effective_from=start
        ),
        rules=[
            SubsidyRule(label="70-79岁", age_band="70-79", mode="elder_pays", amount_fen=0,
                        district_bp=10_000)
        ],
    )  # fmt: skip


def test_a_version_published_after_a_look_ahead_is_in_force_on_its_day(
    superuser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_command("load_default_policy", stdout=StringIO())
    monkeypatch.setattr(clock, "now", lambda: NOW)
    tomorrow = NOW.date() + dt.timedelta(days=1)
    city = SubsidyPolicy.objects.get()
    # Delivery eligibility and the quote preview look at future days before anything is
    # published for them.
    assert policy_in_force(district_code="330902", day=tomorrow).policy == city
    assert policy_in_force(district_code="330902", day=NOW.date()).policy == city

    new = _publish(superuser, tomorrow)

    assert policy_in_force(district_code="330902", day=tomorrow).policy == new
    assert policy_in_force(district_code="330902", day=NOW.date()).policy == city
    monkeypatch.setattr(clock, "now", lambda: NOW + dt.timedelta(days=1))
    assert policy_in_force(district_code="330902", day=tomorrow).policy == new


def test_days_up_to_today_are_read_once(
    superuser: Any, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    call_command("load_default_policy", stdout=StringIO())
    monkeypatch.setattr(clock, "now", lambda: NOW)
    policy_in_force(district_code="330902", day=NOW.date())
    with django_assert_num_queries(0):
        policy_in_force(district_code="330902", day=NOW.date())
