"""Caring visits: tiers decide the schedule, across month ends and tier changes; a late
visit is accepted and marked late; overdue visits escalate to the town; a finding opens a
follow-up that only a return visit closes; the visit rate sums counts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.care.tests.conftest import VILLAGE, at
from tongzhou.core.errors import DomainError, NotFound
from tongzhou.elders.models import Category, LivingArrangement
from tongzhou.elders.services import membership_add
from tongzhou.visits.models import FollowUp, ScheduledVisit, VisitStatus
from tongzhou.visits.selectors import due_list, visit_rates
from tongzhou.visits.services import Finding, visit_record, visits_escalate, visits_schedule

OK = {"ok": True, "note": ""}


@pytest.fixture
def worker(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.VILLAGE_WORKER, region=VILLAGE)


def _alone(make_elder: Callable[..., Any], birth: dt.date, **fields: Any) -> Any:
    return make_elder(VILLAGE, birth=birth, living_arrangement=LivingArrangement.ALONE, **fields)


def _visit(elder: Any, **filters: Any) -> ScheduledVisit:
    return ScheduledVisit.objects.get(elder=elder, reason="routine", **filters)


def test_tiers_give_weekly_monthly_and_quarterly_windows(
    make_elder: Callable[..., Any], now: Any
) -> None:
    high = _alone(make_elder, dt.date(1940, 1, 1))  # 86 and alone
    key = _alone(make_elder, dt.date(1955, 1, 1))  # 71 and alone
    general = make_elder(VILLAGE, birth=dt.date(1941, 1, 1))  # 85, with family
    nobody = make_elder(VILLAGE, birth=dt.date(1960, 1, 1))  # 66, with family
    visits_schedule(day=dt.date(2026, 3, 10))  # a Tuesday
    weekly = _visit(high)
    assert (weekly.period_id, weekly.opens, weekly.due, weekly.closes) == (
        "2026W11",
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 12),
        dt.date(2026, 3, 15),
    )
    monthly = _visit(key)
    assert (monthly.period_id, monthly.opens, monthly.closes) == (
        "202603",
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
    )
    assert _visit(general).period_id == "2026Q1"
    assert not ScheduledVisit.objects.filter(elder=nobody).exists()
    visits_schedule(day=dt.date(2026, 3, 11))  # the same period: nothing new
    assert ScheduledVisit.objects.count() == 3


def test_across_a_month_end_the_missed_visit_escalates_and_a_late_one_is_marked_late(
    make_elder: Callable[..., Any],
    worker: Any,
    make_user: Callable[..., Any],
    now: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    elder = _alone(make_elder, dt.date(1955, 1, 1))
    now(at(2026, 3, 31, 9))
    visits_schedule(day=dt.date(2026, 3, 31))
    now(at(2026, 4, 1, 7))
    with (
        caplog.at_level(logging.INFO, logger="tongzhou.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert visits_escalate(day=dt.date(2026, 4, 1)) == 1
    [told] = [r.getMessage() for r in caplog.records if r.name == "tongzhou.notify"]
    assert str(town) in told and "西安社区" in told
    visits_schedule(day=dt.date(2026, 4, 1))
    march = _visit(elder, period_id="202603")
    assert march.status == VisitStatus.MISSED
    assert _visit(elder, period_id="202604").status == VisitStatus.OPEN
    record = visit_record(actor=worker, visit_id=march.pk, method="home", sections={"health": OK})
    march.refresh_from_db()
    assert record.late and march.status == VisitStatus.DONE_LATE
    assert visits_escalate(day=dt.date(2026, 4, 2)) == 0  # nothing twice


def test_a_tier_change_replaces_the_open_visit(
    make_elder: Callable[..., Any], superuser: Any, now: Any
) -> None:
    elder = make_elder(VILLAGE, birth=dt.date(1950, 1, 1))
    visits_schedule(day=dt.date(2026, 3, 10))
    assert not ScheduledVisit.objects.filter(elder=elder).exists()
    membership_add(
        actor=superuser,
        elder=elder,
        category=Category.objects.get(code="tekun"),
        valid_from=dt.date(2026, 3, 12),
    )
    visits_schedule(day=dt.date(2026, 3, 12))
    assert _visit(elder).tier.code == "key"
    membership_add(
        actor=superuser,
        elder=elder,
        category=Category.objects.get(code="living_alone"),
        valid_from=dt.date(2026, 3, 1),
    )
    elder.birth_date = dt.date(1946, 3, 14)  # turns 80 on the 14th: high risk from then
    elder.save(update_fields=["birth_date"])
    visits_schedule(day=dt.date(2026, 3, 14))
    cancelled = ScheduledVisit.objects.get(elder=elder, status=VisitStatus.CANCELLED)
    assert cancelled.tier.code == "key"
    assert _visit(elder, status=VisitStatus.OPEN).period_id == "2026W11"


def test_a_finding_opens_a_follow_up_closed_only_by_the_return_visit(
    make_elder: Callable[..., Any], worker: Any, now: Any
) -> None:
    elder = _alone(make_elder, dt.date(1955, 1, 1))
    visits_schedule(day=dt.date(2026, 3, 10))
    visit = _visit(elder)
    visit_record(
        actor=worker,
        visit_id=visit.pk,
        method="home",
        sections={"safety": {"ok": False, "note": "燃气灶老化"}},
        findings=[Finding("safety", "燃气灶老化，需更换")],
    )
    follow_up = FollowUp.objects.get(elder=elder)
    assert follow_up.closed_at is None and follow_up.due == dt.date(2026, 3, 17)
    back = follow_up.return_visit
    assert back is not None and back.reason == "return"
    now(at(2026, 3, 16, 10))
    with pytest.raises(DomainError) as refused:
        visit_record(
            actor=worker, visit_id=back.pk, method="home", sections={}, resolved={follow_up.pk: ""}
        )
    assert refused.value.code == "visit_outcome_missing"
    visit_record(
        actor=worker,
        visit_id=back.pk,
        method="phone",
        sections={},
        resolved={follow_up.pk: "已协助更换燃气灶"},
    )
    follow_up.refresh_from_db()
    assert follow_up.closed_at is not None and follow_up.outcome == "已协助更换燃气灶"


def test_a_call_does_not_count_where_the_tier_needs_a_visit_in_person(
    make_elder: Callable[..., Any], worker: Any, now: Any
) -> None:
    elder = _alone(make_elder, dt.date(1955, 1, 1))
    visits_schedule(day=dt.date(2026, 3, 10))
    with pytest.raises(DomainError) as refused:
        visit_record(actor=worker, visit_id=_visit(elder).pk, method="phone", sections={})
    assert refused.value.code == "visit_must_be_in_person"
    assert _visit(elder).status == VisitStatus.OPEN


def test_a_worker_sees_and_records_only_their_village(
    make_elder: Callable[..., Any], worker: Any, make_user: Callable[..., Any], now: Any
) -> None:
    mine = _alone(make_elder, dt.date(1955, 1, 1))
    theirs = make_elder(
        "330902002002", birth=dt.date(1955, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    visits_schedule(day=dt.date(2026, 3, 10))
    assert [v.elder_id for v in due_list(worker, dt.date(2026, 3, 10))] == [mine.pk]
    with pytest.raises(NotFound):
        visit_record(actor=worker, visit_id=_visit(theirs).pk, method="home", sections={})


def test_the_visit_rate_sums_counts_and_shows_no_figure_where_nobody_was_due(
    make_elder: Callable[..., Any], worker: Any, make_user: Callable[..., Any], now: Any
) -> None:
    first = _alone(make_elder, dt.date(1955, 1, 1))
    _alone(make_elder, dt.date(1956, 1, 1))
    visits_schedule(day=dt.date(2026, 3, 10))
    visit_record(actor=worker, visit_id=_visit(first).pk, method="home", sections={})
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    top, areas, whole = visit_rates(town, dt.date(2026, 3, 1))
    assert top is not None and top.code == "330902002"
    by_code = {area.region.code: area for area in areas}
    assert (by_code[VILLAGE].due, by_code[VILLAGE].visited, by_code[VILLAGE].rate) == (2, 1, 0.5)
    assert by_code["330902002002"].rate is None
    assert whole is not None and (whole.due, whole.visited) == (2, 1)
