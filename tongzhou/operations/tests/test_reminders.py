"""Overdue work reaches the person responsible, through the configured sender."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tongzhou.access.roles import Role
from tongzhou.bookings.models import Booking, WellnessAlert
from tongzhou.core import clock

pytestmark = pytest.mark.django_db
VILLAGE = "330902002001"


def test_an_alert_left_open_reaches_the_worker_then_the_town(
    make_user: Any,
    make_elder: Any,
    make_canteen: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    make_user(Role.VILLAGE_WORKER, region="330902002002")  # another village: not told
    officer = make_user(Role.TOWN_OFFICER, region="330902002")
    elder = make_elder(VILLAGE)
    raised = clock.now()
    booking = Booking.objects.create(
        elder=elder, canteen=make_canteen(VILLAGE), date=raised.date(), session="lunch",
        mode="delivery", status="not_delivered", booked_by="t", delivered_at=raised,
    )  # fmt: skip
    WellnessAlert.objects.create(
        booking=booking, elder=elder, village=elder.residence, raised_at=raised
    )

    def told_at(hours: int) -> list[str]:
        monkeypatch.setattr(clock, "now", lambda: raised + dt.timedelta(hours=hours))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tongzhou.notify"):
            call_command("notify_overdue", stdout=StringIO())
        return [r.getMessage() for r in caplog.records if r.name == "tongzhou.notify"]

    assert told_at(1) == []  # not overdue yet
    (late,) = told_at(3)
    assert str(worker) in late and "1条" in late and "超过2小时" in late
    escalated = told_at(25)
    assert len(escalated) == 2 and any(str(officer) in m and "24小时" in m for m in escalated)
