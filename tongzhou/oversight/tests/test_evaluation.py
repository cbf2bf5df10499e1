"""事后: the star rule on its boundaries (and never fewer stars for a higher score), a
half-year evaluated from a canteen's own data with a rectification below the line, and a
canteen's exit moving its elders' bookings to a canteen nearby with their purses untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongzhou.access.roles import Role
from tongzhou.bookings.models import Booking, BookingPlan
from tongzhou.bookings.tests.conftest import at
from tongzhou.canteens.services import meal_session_set
from tongzhou.ledger.services import purses_for
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.test_checkout import sell
from tongzhou.oversight import stars
from tongzhou.oversight.models import Evaluation, KitchenStaff, StarPolicy
from tongzhou.oversight.services import (
    ChecklistPoint,
    FindingRow,
    canteen_exit,
    complaint_answer,
    complaint_make,
    evaluation_subsidy_release,
    evaluations_run,
    inspection_record,
    meal_rate,
)
from tongzhou.oversight.tests.test_lifecycle import refused

BANDS = [[90, 5], [80, 4], [70, 3], [60, 2], [0, 1]]
WEIGHTS = {"ratings": 30, "complaints": 15, "inspections": 25, "records": 20, "settlement": 10}


def test_the_star_rule_on_its_boundaries() -> None:
    assert [stars.stars_for(v, BANDS) for v in (100, 90, 89.99, 80, 60, 59.99, 0)] == [
        5, 5, 4, 4, 2, 1, 1,
    ]  # fmt: skip
    assert stars.stars_for(None, BANDS) == 0
    assert stars.stars_for(-1, BANDS) == 0
    # A part with nothing to judge is left out and the rest weighed up, never counted as 0.
    assert stars.score({"ratings": 100, "settlement": None}, WEIGHTS) == 100
    assert stars.score({"ratings": None}, WEIGHTS) is None
    assert stars.rating_part(1) == 0 and stars.rating_part(5) == 100


@given(st.floats(0, 100), st.floats(0, 100))
def test_a_higher_score_never_earns_fewer_stars(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert stars.stars_for(low, BANDS) <= stars.stars_for(high, BANDS)


@given(st.dictionaries(st.sampled_from(stars.PARTS), st.floats(0, 100), min_size=1))
def test_the_score_lies_between_its_parts(parts: dict[str, float]) -> None:
    total = stars.score(parts, WEIGHTS)
    assert total is not None
    assert min(parts.values()) - 0.01 <= total <= max(parts.values()) + 0.01


@pytest.fixture
def star_policy(db: Any) -> StarPolicy:
    return StarPolicy.objects.create(
        valid_from=dt.date(2026, 1, 1),
        weights=WEIGHTS,
        bands=BANDS,
        rectify_below=60,
        subsidy_fen_by_star={"5": 400, "4": 300, "3": 200, "2": 100, "1": 0},
    )


@pytest.mark.django_db
def test_a_half_year_is_evaluated_from_the_canteens_own_data(
    counter: Any,
    make_member: Any,
    make_user: Callable[..., Any],
    star_policy: StarPolicy,
    lunch_time: Any,
    signed_in: Callable[[Any], Any],
) -> None:
    canteen = counter.canteen
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    manager = make_user(Role.CANTEEN_MANAGER, canteen=canteen)
    KitchenStaff.objects.create(
        canteen=canteen, name="李师傅", job="厨师", health_cert_no="JK",
        health_cert_expires_on=dt.date(2027, 1, 1),
    )  # fmt: skip
    first, card_a = make_member()
    second, card_b = make_member()
    assert sell(counter, card_a, key="a", receipt="a").status_code == 201
    assert sell(counter, card_b, key="b", receipt="b").status_code == 201
    terminal = canteen.terminals.devices().get()
    for elder, given_stars in ((first, 5), (second, 3)):
        meal = Meal.objects.get(elder=elder)
        meal_rate(meal_id=meal.pk, stars=given_stars, channel="counter", terminal=terminal)
    complaint = complaint_make(
        canteen_id=canteen.pk, text="饭太硬", channel="elder_page", elder_id=first.pk
    )
    inspection_record(
        actor=town, canteen_id=canteen.pk,
        checklist=[ChecklistPoint("留样", True), ChecklistPoint("健康证公示", False, "未公示")],
        inspectors="镇民政办", findings=[FindingRow("健康证未公示", dt.date(2026, 3, 20))],
    )  # fmt: skip
    lunch_time(at(2026, 3, 16, 9))
    complaint_answer(actor=manager, complaint_id=complaint.pk, answer="已改软")  # 4 days late
    assert refused(lambda: evaluations_run(actor=town, period_id="2026S1")) == ("permission_denied")
    assert refused(lambda: evaluations_run(actor=district, period_id="202603")) == (
        "evaluation_period_invalid"
    )
    putuo = make_user(Role.DISTRICT_OFFICER, region="330903")
    assert evaluations_run(actor=putuo, period_id="2026S1") == []  # no canteen there
    [evaluation] = evaluations_run(actor=district, period_id="2026S1")
    # Ratings 4.0 → 75; complaints 0 of 1 in time → 0; inspection 50; records 0 of 1 day;
    # no statement due yet: left out. (75×30 + 0×15 + 50×25 + 0×20) / 90 = 38.89.
    assert evaluation.parts == {
        "ratings": 75.0, "complaints": 0.0, "inspections": 50.0, "records": 0.0,
        "settlement": None,
    }  # fmt: skip
    assert (evaluation.score, evaluation.stars, evaluation.elder_days) == (38.89, 1, 2)
    assert (evaluation.subsidy_fen_per_elder_day, evaluation.subsidy_fen) == (0, 0)
    assert evaluation.rectification is not None
    assert "低于60分" in evaluation.rectification.text
    # The board can use the same figures: meals rated 满意, days with complete records.
    from tongzhou.board.registry import compute

    village = canteen.village.path
    assert compute("canteen_meals_satisfied", "202603")[village] == (1.0, 2.0)
    assert compute("canteen_records_complete", "202603")[village] == (0.0, 1.0)
    # Run again: the figures replaced, no second rectification.
    evaluations_run(actor=district, period_id="2026S1")
    assert Evaluation.objects.count() == 1
    assert evaluation.rectification.inspection.purpose == "evaluation"
    page = signed_in(district).get("/oversight/evaluations/?period=2026S1")
    text = page.content.decode()
    assert canteen.name in text and "38.89" in text and "2026年上半年" in text
    sheet = signed_in(district).get("/oversight/evaluations/?period=2026S1&format=xlsx")
    assert sheet.status_code == 200
    # Summed by town for the district: a rating mean over all ratings, records as a share.
    assert 'data-testid="areas"' in text and "昌国街道" in text and "4.0（2）" in text
    import io

    from openpyxl import load_workbook

    summary = signed_in(district).get("/oversight/evaluations/?period=2026S1&format=xlsx&by=area")
    book = load_workbook(io.BytesIO(b"".join(summary.streaming_content))).active
    row = next(r for r in book.iter_rows(values_only=True) if r[0] == "昌国街道")
    # Open findings: the inspection's and the rectification the low score asked for.
    assert row[1:4] == (1, 2, 2) and row[8] == 2 and row[9] == 0
    # Once the city releases a subsidy the figures it was paid on stand; the ledger balances.
    better = Evaluation.objects.get()
    Evaluation.objects.filter(pk=better.pk).update(
        stars=3, subsidy_fen_per_elder_day=200, subsidy_fen=400
    )
    city = make_user(Role.CITY_BUREAU, region="330900")
    assert refused(
        lambda: evaluation_subsidy_release(actor=district, evaluation_id=better.pk)
    ) == "permission_denied"  # fmt: skip
    from tongzhou.ledger.models import Account, AccountKind, Entry
    from tongzhou.ledger.services import ledger_check

    owed = Account.objects.get(kind=AccountKind.CANTEEN_RECEIVABLE, canteen=canteen)
    before = sum(e.amount_fen for e in Entry.objects.filter(account=owed))
    released = evaluation_subsidy_release(actor=city, evaluation_id=better.pk)
    assert sum(e.amount_fen for e in Entry.objects.filter(account=owed)) - before == 400
    assert ledger_check() == [] and released.released_at is not None
    assert refused(
        lambda: evaluation_subsidy_release(actor=city, evaluation_id=better.pk)
    ) == "subsidy_released"  # fmt: skip
    evaluations_run(actor=district, period_id="2026S1")
    assert Evaluation.objects.get().subsidy_fen == 400  # not recomputed


@pytest.mark.django_db
def test_an_exit_moves_the_bookings_and_leaves_the_purses(
    counter: Any,
    make_member: Any,
    make_canteen: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    lunch_time: Any,
) -> None:
    closing = counter.canteen
    nearby = make_canteen("330902002001", name="环城幸福食堂")
    meal_session_set(
        actor=superuser, canteen=nearby, kind="lunch",
        starts_at=dt.time(10, 30), ends_at=dt.time(12, 30),
    )  # fmt: skip
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    regular, _card = make_member(phone="13900001111")
    courier_fed, _card2 = make_member()
    plan = BookingPlan.objects.create(
        elder=regular, canteen=closing, session="lunch", mode="eat_in", weekdays="12345",
        starts_on=dt.date(2026, 3, 1), booked_by="test",
    )  # fmt: skip
    BookingPlan.objects.create(
        elder=courier_fed, canteen=closing, session="lunch", mode="delivery", weekdays="12345",
        starts_on=dt.date(2026, 3, 1), booked_by="test",
    )  # fmt: skip
    later = BookingPlan.objects.create(
        elder=courier_fed, canteen=closing, session="dinner", mode="eat_in", weekdays="12345",
        starts_on=dt.date(2026, 3, 20), booked_by="test",
    )  # fmt: skip
    one_off = Booking.objects.create(
        elder=regular, canteen=closing, date=dt.date(2026, 3, 21), session="lunch",
        mode="eat_in", booked_by="test",
    )  # fmt: skip
    before = purses_for(regular.pk)["elder_own"].balance_fen
    assert refused(
        lambda: canteen_exit(actor=district, canteen_id=closing.pk, reason="运营方退出",
                             move_to_id=closing.pk, from_day=dt.date(2026, 3, 16))
    ) == "exit_move_to_invalid"  # fmt: skip
    done = canteen_exit(
        actor=district, canteen_id=closing.pk, reason="运营方退出", move_to_id=nearby.pk,
        from_day=dt.date(2026, 3, 16),
    )  # fmt: skip
    assert done.canteen.status == "closed" and done.canteen.status_reason == "运营方退出"
    assert [e.pk for e in done.moved.elders] == [regular.pk]
    # The delivery cannot move (the canteen nearby does not deliver); a dinner plan not yet
    # begun cannot either (it serves no dinner): it ends unbegun, its one day paused.
    assert [e.pk for e, _why in done.moved.not_moved] == [courier_fed.pk]
    later.refresh_from_db()
    assert later.ends_on == later.starts_on and later.paused_on(later.starts_on)
    plan.refresh_from_db()
    assert plan.ends_on == dt.date(2026, 3, 15)
    follower = BookingPlan.objects.get(elder=regular, canteen=nearby)
    assert (follower.starts_on, follower.weekdays, follower.ends_on) == (
        dt.date(2026, 3, 16), "12345", None,
    )  # fmt: skip
    one_off.refresh_from_db()
    assert one_off.canteen_id == nearby.pk and one_off.status == "booked"
    assert purses_for(regular.pk)["elder_own"].balance_fen == before
    assert done.told == 1  # the elder with a phone
