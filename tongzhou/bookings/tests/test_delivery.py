"""Delivery: routes shared among couriers and ordered by the solver, proof that charges the
meal once, and "nobody answered" raising an alert the community worker must close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.bookings import routing, services
from tongzhou.bookings.models import Booking, BookingStatus, WellnessAlert
from tongzhou.bookings.selectors import alerts_for, run_stops, runs_for
from tongzhou.bookings.tests.conftest import VILLAGE, at
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import DomainError, NotFound
from tongzhou.elders.models import LivingArrangement
from tongzhou.ledger.services import ledger_check
from tongzhou.purses.services import purse_credit

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 11)


@pytest.fixture
def orders(
    canteen: Canteen,
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    now: Any,
) -> list[Booking]:
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    made = []
    for index in range(7):
        elder = make_elder(
            VILLAGE,
            name=f"送餐{index}",
            birth=dt.date(1940, 1, 1),
            living_arrangement=LivingArrangement.ALONE,
        )
        home = (canteen.lon + 0.004 * (index % 3), canteen.lat + 0.003 * (index // 3))
        services.profile_save(actor=worker, elder=elder, diets=[], home=home)
        purse_credit(elder=elder, amount_fen=5000, actor=superuser)
        made.append(
            services.booking_create(
                actor=worker,
                elder=elder,
                canteen=canteen,
                day=DAY,
                session="lunch",
                mode="delivery",
            )
        )
    now(at(2026, 3, 11, 10, 30))
    return made


def test_routes_are_shared_and_ordered_by_the_solver(
    canteen: Canteen, orders: list[Booking], make_user: Callable[..., Any], superuser: Any
) -> None:
    couriers = [make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen) for _ in range(2)]
    runs = services.delivery_plan(
        actor=superuser, canteen=canteen, day=DAY, session="lunch", couriers=couriers
    )
    assert len(runs) == 2
    stops = [run_stops(run) for run in runs]
    assert sorted(len(share) for share in stops) == [3, 4]
    assert {b.pk for share in stops for b in share} == {b.pk for b in orders}
    for run, share in zip(runs, stops, strict=True):
        assert [b.stop_order for b in share] == list(range(1, len(share) + 1))
        points = [(b.elder.meal_profile.home_lon, b.elder.meal_profile.home_lat) for b in share]
        depot = (canteen.lon, canteen.lat)
        path = [depot, *points, depot]
        assert run.distance_m == round(sum(map(routing.metres, path, path[1:])))
    # The courier sees only their own run.
    assert list(runs_for(couriers[0], DAY)) == [runs[0]]
    # Planning again gives the same routes.
    again = services.delivery_plan(
        actor=superuser, canteen=canteen, day=DAY, session="lunch", couriers=couriers
    )
    assert [[b.pk for b in run_stops(run)] for run in again] == [[b.pk for b in s] for s in stops]


def test_routes_wait_for_the_cut_off(
    canteen: Canteen,
    orders: list[Booking],
    make_user: Callable[..., Any],
    superuser: Any,
    now: Any,
) -> None:
    now(at(2026, 3, 10, 15, 0))
    with pytest.raises(DomainError) as early:
        services.delivery_plan(
            actor=superuser,
            canteen=canteen,
            day=DAY,
            session="lunch",
            couriers=[make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen)],
        )
    assert early.value.code == "booking_still_open"


def test_proof_charges_once_and_no_answer_raises_an_alert_to_close(
    canteen: Canteen,
    orders: list[Booking],
    make_user: Callable[..., Any],
    superuser: Any,
) -> None:
    courier = make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen)
    (run,) = services.delivery_plan(
        actor=superuser, canteen=canteen, day=DAY, session="lunch", couriers=[courier]
    )
    first, second, *_rest = run_stops(run)
    done = services.delivery_done(actor=courier, booking_id=first.pk, photo=b"\x89PNG fake")
    assert done.status == BookingStatus.DELIVERED and done.delivered_by == courier
    assert done.meal is not None
    # 80-89 pays 1 yuan; the 3-yuan delivery fee is subsidised by 2 yuan.
    assert (done.meal.total_fen, done.meal.own_fen) == (1500 + 300, 100 + 100)
    assert done.meal.delivery_subsidy_fen == 200
    with pytest.raises(DomainError) as twice:
        services.delivery_done(actor=courier, booking_id=first.pk)
    assert twice.value.code == "delivery_already_recorded"
    other = make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen)
    with pytest.raises(NotFound):
        services.delivery_done(actor=other, booking_id=second.pk)

    alert = services.delivery_no_answer(actor=courier, booking_id=second.pk, note="敲门无人")
    assert Booking.objects.get(pk=second.pk).meal is None
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    elsewhere = make_user(Role.VILLAGE_WORKER, region="330902002002")
    assert list(alerts_for(worker)) == [alert]
    assert list(alerts_for(elsewhere)) == []
    with pytest.raises(DomainError) as bare:
        services.alert_close(actor=worker, alert_id=alert.pk, outcome="well", note=" ")
    assert bare.value.code == "alert_outcome_required"
    services.alert_close(
        actor=worker, alert_id=alert.pk, outcome="hospital", note="已住院，家属告知"
    )
    closed = WellnessAlert.objects.get(pk=alert.pk)
    assert closed.closed_by == worker and closed.outcome == "hospital"
    assert list(alerts_for(worker)) == []
    assert ledger_check() == []


def test_a_round_s_page_never_reads_the_proof_photos(
    canteen: Canteen, orders: list[Booking], make_user: Callable[..., Any], superuser: Any
) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    courier = make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen)
    (run,) = services.delivery_plan(
        actor=superuser, canteen=canteen, day=DAY, session="lunch", couriers=[courier]
    )
    for stop in run_stops(run):
        services.delivery_done(actor=courier, booking_id=stop.pk, photo=b"\xff\xd8" * 20_000)
    page = Client()
    page.force_login(courier)
    with CaptureQueriesContext(connection) as queries:
        answer = page.get(f"/delivery/?date={DAY}&session=lunch")
    assert answer.status_code == 200 and answer.content.count("送餐".encode()) >= 7
    assert not any("proof_photo_encrypted" in query["sql"] for query in queries.captured_queries)
    kept = Booking.objects.only("proof_photo_encrypted").get(pk=orders[0].pk)
    assert len(bytes(kept.proof_photo_encrypted)) > 40_000  # stored, read when asked for
