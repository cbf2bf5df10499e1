"""Each discovery rule with and without its signal; the scan opens one case per elder and
rule until a worker closes it with an outcome; a worker sees only their village's cases."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.bookings.models import Booking, BookingStatus, WellnessAlert
from tongzhou.care.services import entitlements_refresh
from tongzhou.core.errors import DomainError, NotFound
from tongzhou.discovery import signals
from tongzhou.discovery.models import DiscoveryCase
from tongzhou.discovery.selectors import month_counts, queue
from tongzhou.discovery.services import discovery_review, discovery_scan
from tongzhou.elders.models import Category, ElderStatus, LivingArrangement
from tongzhou.elders.services import elder_set_status, membership_add
from tongzhou.ledger.models import Account, AccountKind
from tongzhou.meals.tests.conftest import LUNCH_NOW, Counter
from tongzhou.visits.services import visit_record, visits_escalate, visits_schedule

pytestmark = pytest.mark.django_db
VILLAGE = "330902002001"
TZ = timezone.get_default_timezone()
TODAY = LUNCH_NOW.date()


def _sell(counter: Counter, card: str, day: dt.date, lunch_time: Callable[..., None]) -> None:
    lunch_time(dt.datetime.combine(day, dt.time(11, 30), TZ))
    key = uuid.uuid4().hex
    answer = counter.client().post(
        "/api/v1/checkout",
        {
            "card": card,
            "session": "lunch",
            "lines": [{"amount_fen": 1200}],
            "receipt_no": key[:20],
            "accept_full_price": True,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert answer.status_code == 201, answer.content


def test_a_regular_diner_who_stopped_coming(
    counter: Counter, make_member: Callable[..., Any], lunch_time: Callable[..., None]
) -> None:
    stopped, stopped_card = make_member()
    _still, still_card = make_member()
    _rare, rare_card = make_member()
    for n in range(8):
        _sell(counter, stopped_card, TODAY - dt.timedelta(days=20 - n), lunch_time)
        _sell(counter, still_card, TODAY - dt.timedelta(days=8 - n), lunch_time)
    _sell(counter, rare_card, TODAY - dt.timedelta(days=15), lunch_time)
    hits = signals.no_meal(TODAY, days=7, min_meals=8, lookback=30)
    assert set(hits) == {stopped.pk}
    assert ("未用餐", "13天") in hits[stopped.pk]


def test_own_money_running_out_for_someone_who_eats(
    counter: Counter, make_member: Callable[..., Any], lunch_time: Callable[..., None]
) -> None:
    low, low_card = make_member(own_fen=1500)
    _fine, fine_card = make_member(own_fen=9000)
    make_member(own_fen=100)  # low, but does not eat here: not a sign
    _sell(counter, low_card, TODAY, lunch_time)
    _sell(counter, fine_card, TODAY, lunch_time)
    left = Account.objects.get(elder=low, kind=AccountKind.ELDER_OWN).balance_fen
    assert left < 1500
    assert set(signals.purse_low(TODAY, below_fen=left + 1)) == {low.pk}


def _booking(elder: Any, canteen: Any, day: dt.date, status: str) -> Booking:
    return Booking.objects.create(
        elder=elder,
        canteen=canteen,
        date=day,
        session="lunch",
        mode="delivery",
        status=status,
        delivered_at=dt.datetime.combine(day, dt.time(11, 50), TZ),
        booked_by="测试",
    )


def test_nobody_answered_twice_and_an_alert_left_open(
    counter: Counter, make_member: Callable[..., Any], lunch_time: Callable[..., None]
) -> None:
    twice, _ = make_member()
    once, _ = make_member()
    first = _booking(
        twice, counter.canteen, TODAY - dt.timedelta(days=3), BookingStatus.NOT_DELIVERED
    )
    _booking(twice, counter.canteen, TODAY - dt.timedelta(days=1), BookingStatus.NOT_DELIVERED)
    recent = _booking(once, counter.canteen, TODAY, BookingStatus.NOT_DELIVERED)
    assert set(signals.no_answer(TODAY, count=2, days=30)) == {twice.pk}
    WellnessAlert.objects.create(
        booking=first,
        elder=twice,
        village=twice.residence,
        raised_at=LUNCH_NOW - dt.timedelta(hours=30),
    )
    WellnessAlert.objects.create(
        booking=recent,
        elder=once,
        village=once.residence,
        raised_at=LUNCH_NOW - dt.timedelta(hours=2),
    )
    assert set(signals.open_alert(TODAY, hours=24)) == {twice.pk}


def test_missed_visits_and_80_alone_with_no_service(
    make_elder: Callable[..., Any], make_user: Callable[..., Any], lunch_time: Callable[..., None]
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    missed = make_elder(
        VILLAGE, birth=dt.date(1955, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    visited = make_elder(
        VILLAGE, birth=dt.date(1940, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    unserved = make_elder(
        VILLAGE, birth=dt.date(1941, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    last_month = TODAY.replace(day=1) - dt.timedelta(days=1)
    visits_schedule(day=last_month, elder_ids=[missed.pk])
    visits_escalate(day=TODAY)
    visits_schedule(day=TODAY, elder_ids=[visited.pk])
    from tongzhou.visits.models import ScheduledVisit

    visit_record(
        actor=worker,
        visit_id=ScheduledVisit.objects.get(elder=visited).pk,
        method="home",
        sections={},
    )
    assert set(signals.missed_visits(TODAY)) == {missed.pk}
    assert set(signals.alone_unserved(TODAY, min_age=80, days=90)) == {unserved.pk}


def test_a_hardship_category_about_to_expire_without_renewal(
    make_elder: Callable[..., Any], superuser: Any, lunch_time: Callable[..., None]
) -> None:
    dibao = Category.objects.get(code="dibao")
    ending = make_elder(VILLAGE)
    renewed = make_elder(VILLAGE)
    for elder in (ending, renewed):
        membership_add(
            actor=superuser,
            elder=elder,
            category=dibao,
            valid_from=dt.date(2025, 1, 1),
            valid_to=TODAY + dt.timedelta(days=10),
        )
    membership_add(
        actor=superuser, elder=renewed, category=dibao, valid_from=TODAY + dt.timedelta(days=11)
    )
    hits = signals.category_expiring(TODAY, days=30)
    assert set(hits) == {ending.pk} and ("类别", "低保") in hits[ending.pk]


def test_entitlements_still_open_after_a_recorded_death(
    make_elder: Callable[..., Any], superuser: Any, lunch_time: Callable[..., None]
) -> None:
    call_command("load_default_service_list", stdout=None)
    died = make_elder(VILLAGE, birth=dt.date(1940, 1, 1))
    alive = make_elder(VILLAGE, birth=dt.date(1940, 1, 1))
    entitlements_refresh(elder_ids=[died.pk, alive.pk], day=TODAY)
    elder_set_status(actor=superuser, elder=died, status=ElderStatus.DECEASED, on=TODAY)
    assert set(signals.entitled_after_death(TODAY)) == {died.pk}
    entitlements_refresh(elder_ids=[died.pk], day=TODAY + dt.timedelta(days=1))
    assert signals.entitled_after_death(TODAY) == {}


def test_the_scan_opens_one_case_until_a_worker_closes_it_and_counts_the_outcomes(
    make_elder: Callable[..., Any], make_user: Callable[..., Any], lunch_time: Callable[..., None]
) -> None:
    alone = make_elder(
        VILLAGE, birth=dt.date(1940, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    make_elder(
        "330902002002", birth=dt.date(1940, 1, 1), living_arrangement=LivingArrangement.ALONE
    )
    first = discovery_scan(day=TODAY)
    assert first.opened["alone-80-unserved"] == 2
    again = discovery_scan(day=TODAY)
    assert again.hits["alone-80-unserved"] == 2 and again.opened["alone-80-unserved"] == 0
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    [case] = [c for c in queue(worker) if c.rule.code == "alone-80-unserved"]
    assert case.elder == alone
    other = DiscoveryCase.objects.exclude(village=worker.region).get()
    with pytest.raises(NotFound):
        discovery_review(actor=worker, case_id=other.pk, outcome="service", note="x")
    with pytest.raises(DomainError) as refused:
        discovery_review(actor=worker, case_id=case.pk, outcome="service", note="")
    assert refused.value.code == "discovery_note_missing"
    discovery_review(actor=worker, case_id=case.pk, outcome="service", note="已安排助餐送餐")
    counts = {row["rule"].code: row for row in month_counts(worker, TODAY)}
    assert counts["alone-80-unserved"]["found"] == 1 and counts["alone-80-unserved"]["service"] == 1
    assert discovery_scan(day=TODAY).opened["alone-80-unserved"] == 1  # found again once closed


def test_a_rule_edited_with_unknown_parameters_is_refused_and_a_broken_one_skipped(
    lunch_time: Callable[..., None],
) -> None:
    from tongzhou.discovery.models import DiscoveryRule
    from tongzhou.discovery.services import rule_check

    rule = DiscoveryRule.objects.get(code="no-meal-7d")
    rule.params = {"days": 7, "dayz": 3}
    with pytest.raises(DomainError) as refused:
        rule_check(rule)
    assert refused.value.code == "discovery_params_invalid"
    rule.save()  # as if written around the check: the scan goes on without it
    result = discovery_scan(day=TODAY)
    assert result.hits["no-meal-7d"] == -1 and result.hits["missed-visit"] == 0
