"""Booking: the cut-off, cancelling, standing bookings with pauses that end by themselves
(across midnight and a month's end), and what reaches the kitchen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.bookings import services
from tongzhou.bookings.models import Booking, BookingStatus, Diet
from tongzhou.bookings.selectors import kitchen_sheet
from tongzhou.bookings.tests.conftest import VILLAGE, at
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import DomainError, NotFound
from tongzhou.elders.models import LivingArrangement

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.VILLAGE_WORKER, region=VILLAGE)


def lunches(canteen: Canteen, worker: Any, day: dt.date) -> int:
    return kitchen_sheet(actor=worker, canteen_id=canteen.pk, day=day, session="lunch").total


def test_a_booking_is_open_until_the_cut_off_the_day_before(
    canteen: Canteen, make_elder: Callable[..., Any], superuser: Any, worker: Any, now: Any
) -> None:
    elder = make_elder(VILLAGE)
    day = dt.date(2026, 3, 11)
    now(at(2026, 3, 10, 15, 59))
    booking = services.booking_create(
        actor=worker, elder=elder, canteen=canteen, day=day, session="lunch", mode="eat_in"
    )
    assert booking.booked_by == worker.username
    assert AuditEvent.objects.filter(action="booking.create").count() == 1
    with pytest.raises(DomainError) as twice:
        services.booking_create(
            actor=worker, elder=elder, canteen=canteen, day=day, session="lunch", mode="eat_in"
        )
    assert twice.value.code == "already_booked"
    now(at(2026, 3, 10, 16, 0))
    with pytest.raises(DomainError) as late:
        services.booking_cancel(actor=worker, elder=elder, day=day, session="lunch")
    assert late.value.code == "booking_closed"
    assert "16:00" in late.value.message_zh
    other = make_elder(VILLAGE, name="李四")
    with pytest.raises(DomainError) as closed:
        services.booking_create(
            actor=worker, elder=other, canteen=canteen, day=day, session="lunch", mode="eat_in"
        )
    assert closed.value.code == "booking_closed"
    assert lunches(canteen, superuser, day) == 1


def test_cancelled_before_the_cut_off_never_reaches_the_kitchen(
    canteen: Canteen, make_elder: Callable[..., Any], superuser: Any, worker: Any, now: Any
) -> None:
    elder = make_elder(VILLAGE)
    day = dt.date(2026, 3, 12)
    services.booking_create(
        actor=worker, elder=elder, canteen=canteen, day=day, session="lunch", mode="eat_in"
    )
    assert lunches(canteen, superuser, day) == 1
    services.booking_cancel(actor=worker, elder=elder, day=day, session="lunch")
    assert lunches(canteen, superuser, day) == 0
    # ... and can be booked again
    services.booking_create(
        actor=worker, elder=elder, canteen=canteen, day=day, session="lunch", mode="eat_in"
    )
    assert lunches(canteen, superuser, day) == 1


def test_a_worker_cannot_book_for_an_elder_of_another_village(
    canteen: Canteen, make_elder: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    elder = make_elder(VILLAGE)
    stranger = make_user(Role.VILLAGE_WORKER, region="330902002002")
    with pytest.raises(NotFound):
        services.booking_create(
            actor=stranger,
            elder=elder,
            canteen=canteen,
            day=dt.date(2026, 3, 12),
            session="lunch",
            mode="eat_in",
        )
    assert not Booking.objects.exists()


def test_a_standing_booking_pauses_over_month_end_and_resumes_by_itself(
    canteen: Canteen, make_elder: Callable[..., Any], superuser: Any, worker: Any, now: Any
) -> None:
    elder = make_elder(VILLAGE)
    now(at(2026, 3, 25, 23, 50))
    plan = services.plan_create(
        actor=worker,
        elder=elder,
        canteen=canteen,
        session="lunch",
        mode="eat_in",
        weekdays="12345",
        starts_on=dt.date(2026, 3, 27),
    )
    # Friday 27 March and Monday 30 March; Saturday is not a plan day.
    assert lunches(canteen, superuser, dt.date(2026, 3, 27)) == 1
    assert lunches(canteen, superuser, dt.date(2026, 3, 28)) == 0
    # Hospital from Tuesday 31 March to Thursday 2 April.
    services.plan_pause(
        actor=worker,
        plan_id=plan.pk,
        starts_on=dt.date(2026, 3, 31),
        ends_on=dt.date(2026, 4, 2),
        reason="住院",
    )
    counts = {
        day: lunches(canteen, superuser, dt.date(2026, 3, 30) + dt.timedelta(days=day))
        for day in range(5)
    }
    assert counts == {0: 1, 1: 0, 2: 0, 3: 0, 4: 1}  # Mon 30 … Fri 3 April resumes
    # Pausing a day whose cut-off passed (at midnight, 16:00 the day before has gone) fails.
    now(at(2026, 4, 3, 0, 0))
    with pytest.raises(DomainError) as late:
        services.plan_pause(
            actor=worker,
            plan_id=plan.pk,
            starts_on=dt.date(2026, 4, 3),
            ends_on=dt.date(2026, 4, 3),
        )
    assert late.value.code == "booking_closed"
    # A single day of the plan is cancelled as a row of its own; the plan stays.
    services.booking_cancel(actor=worker, elder=elder, day=dt.date(2026, 4, 6), session="lunch")
    assert lunches(canteen, superuser, dt.date(2026, 4, 6)) == 0
    assert lunches(canteen, superuser, dt.date(2026, 4, 7)) == 1
    # A one-off booking on a plan day is refused: the plan already books it.
    with pytest.raises(DomainError) as twice:
        services.booking_create(
            actor=worker,
            elder=elder,
            canteen=canteen,
            day=dt.date(2026, 4, 7),
            session="lunch",
            mode="eat_in",
        )
    assert twice.value.code == "already_booked"
    services.plan_end(actor=worker, plan_id=plan.pk, last_day=dt.date(2026, 4, 30))
    assert lunches(canteen, superuser, dt.date(2026, 5, 1)) == 0  # a Friday, after the end
    assert lunches(canteen, superuser, dt.date(2026, 4, 30)) == 1


def test_the_kitchen_counts_by_diet_and_mode(
    canteen: Canteen, make_elder: Callable[..., Any], superuser: Any, worker: Any
) -> None:
    day = dt.date(2026, 3, 12)
    diets = [[Diet.LOW_SALT, Diet.SOFT], [Diet.LOW_SALT], [], [Diet.HALAL]]
    for index, wanted in enumerate(diets):
        elder = make_elder(
            VILLAGE,
            name=f"老人{index}",
            birth=dt.date(1940, 1, 1),
            living_arrangement=LivingArrangement.ALONE,
        )
        services.profile_save(
            actor=worker, elder=elder, diets=wanted, allergies="花生" if index == 2 else ""
        )
        services.booking_create(
            actor=worker,
            elder=elder,
            canteen=canteen,
            day=day,
            session="lunch",
            mode="delivery" if index % 2 else "eat_in",
        )
    sheet = kitchen_sheet(actor=superuser, canteen_id=canteen.pk, day=day, session="lunch")
    assert sheet.total == 4 and sheet.regular == 1 and sheet.allergies == 1
    assert sheet.by_mode == {"eat_in": 2, "delivery": 2}
    assert sheet.by_diet == {"low_salt": 2, "soft": 1, "halal": 1}
    assert [line.allergies for line in sheet.lines if line.allergies] == ["花生"]


def test_delivery_needs_a_qualifying_elder(
    canteen: Canteen, make_elder: Callable[..., Any], worker: Any
) -> None:
    young = make_elder(VILLAGE, birth=dt.date(1960, 1, 1))
    with pytest.raises(DomainError) as refused:
        services.booking_create(
            actor=worker,
            elder=young,
            canteen=canteen,
            day=dt.date(2026, 3, 12),
            session="lunch",
            mode="delivery",
        )
    assert refused.value.code == "delivery_not_eligible"
    alone_85 = make_elder(
        VILLAGE, birth=dt.date(1940, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    booking = services.booking_create(
        actor=worker,
        elder=alone_85,
        canteen=canteen,
        day=dt.date(2026, 3, 12),
        session="lunch",
        mode="delivery",
    )
    assert booking.status == BookingStatus.BOOKED
