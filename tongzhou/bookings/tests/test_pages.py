"""The pages: a community worker books for an elder, the kitchen sees the count and prints
labels, the manager computes routes, the courier records proof or an alert, and the worker
closes the alert."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.bookings.models import Booking, BookingStatus, WellnessAlert
from tongzhou.bookings.tests.conftest import VILLAGE, at
from tongzhou.canteens.models import Canteen
from tongzhou.elders.models import LivingArrangement
from tongzhou.purses.services import purse_credit

pytestmark = pytest.mark.django_db


def test_book_cook_route_deliver_and_follow_up_through_the_pages(
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
    canteen: Canteen,
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    now: Any,
    signed_in: Any,
) -> None:
    worker = signed_in(make_user(Role.VILLAGE_WORKER, region=VILLAGE))
    elders = [
        make_elder(
            VILLAGE,
            name=name,
            birth=dt.date(1938, 2, 2),
            living_arrangement=LivingArrangement.ALONE,
        )
        for name in ("王阿婆", "陈阿公")
    ]
    for elder in elders:
        purse_credit(elder=elder, amount_fen=3000, actor=superuser)
        assert "王阿婆" in worker.get("/bookings/?q=王").content.decode()
        page = worker.post(
            f"/bookings/elder/{elder.pk}/",
            {
                "action": "book",
                "day": "2026-03-11",
                "session": "lunch",
                "canteen": canteen.pk,
                "mode": "delivery",
            },
            follow=True,
        )
        assert "已预订" in page.content.decode()
    late = worker.post(
        f"/bookings/elder/{elders[0].pk}/",
        {
            "action": "book",
            "day": "2026-03-10",
            "session": "dinner",
            "canteen": canteen.pk,
            "mode": "eat_in",
        },
        follow=True,
    )
    assert "已于03月09日 16:00截止" in late.content.decode()
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 2

    manager = make_user(Role.CANTEEN_MANAGER, canteen=canteen)
    courier = make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen)
    kitchen = signed_in(manager).get(f"/kitchen/{canteen.pk}/?date=2026-03-11&session=lunch")
    assert 'data-testid="kitchen-delivery">2<' in kitchen.content.decode()
    labels = signed_in(manager).get(
        f"/kitchen/{canteen.pk}/?date=2026-03-11&session=lunch&labels=1"
    )
    assert labels.content.decode().count('data-testid="label"') == 2
    assert signed_in(courier).get(f"/kitchen/{canteen.pk}/").status_code == 404

    now(at(2026, 3, 11, 10, 45))
    signed_in(manager).post(
        "/delivery/plan/", {"date": "2026-03-11", "session": "lunch", "couriers": [courier.pk]}
    )
    mine = signed_in(courier)
    route = mine.get("/delivery/?date=2026-03-11&session=lunch").content.decode()
    assert route.count('data-testid="stop"') == 2
    first, second = Booking.objects.order_by("stop_order")
    back = mine.post(
        f"/delivery/stop/{first.pk}/", {"outcome": "delivered", "next": "https://evil.example/"}
    )
    # Never sent off the site; back to the same stop on the round.
    assert back["Location"] == f"/delivery/#stop-{first.pk}"
    # "Nobody answered" tapped by mistake is taken back within minutes ...
    with (
        caplog.at_level(logging.INFO, logger="tongzhou.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mine.post(f"/delivery/stop/{second.pk}/", {"outcome": "no_answer"})
        round_page = mine.get("/delivery/?date=2026-03-11&session=lunch").content.decode()
        assert 'data-testid="undo"' in round_page
        mine.post(f"/delivery/stop/{second.pk}/", {"outcome": "undo"})
    assert not WellnessAlert.objects.exists()
    assert Booking.objects.get(pk=second.pk).status == BookingStatus.BOOKED
    told = [r.getMessage() for r in caplog.records if r.name == "tongzhou.notify"]
    assert len(told) == 2 and "无人应答" in told[0] and "撤回" in told[1], told
    # ... and tapped for real later stands; after five minutes it can no longer be undone.
    mine.post(f"/delivery/stop/{second.pk}/", {"outcome": "no_answer", "note": "敲门无人"})
    now(at(2026, 3, 11, 10, 51))
    late = mine.post(f"/delivery/stop/{second.pk}/", {"outcome": "undo"}, follow=True)
    assert "已超过可撤回的时间" in late.content.decode()
    assert Booking.objects.get(pk=first.pk).meal is not None
    alert = WellnessAlert.objects.get()
    assert alert.booking_id == second.pk
    assert second.elder.name in worker.get("/alerts/").content.decode()
    odd = worker.post("/alerts/", {"alert": "x1", "outcome": "well", "note": "?"}, follow=True)
    assert "未找到该关爱提醒" in odd.content.decode()
    worker.post("/alerts/", {"alert": alert.pk, "outcome": "well", "note": "老人外出买菜，已见面"})
    assert WellnessAlert.objects.get().closed_at is not None
    assert 'data-testid="no-alerts"' in worker.get("/alerts/").content.decode()


def test_a_family_member_books_and_cancels_on_the_elders_page(
    canteen: Canteen, make_elder: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    from tongzhou.portal.services import grant_and_code

    elder = make_elder(VILLAGE, name="林阿婆")
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    issued = grant_and_code(actor=worker, elder=elder, kind="family", holder_name="女儿")
    phone = Client()
    phone.post("/me/login/", {"code": issued.code})
    page = phone.post(
        "/me/book/",
        {
            "action": "book",
            "day": "2026-03-12",
            "session": "lunch",
            "canteen": canteen.pk,
            "mode": "eat_in",
        },
        follow=True,
    )
    assert "订好了" in page.content.decode() and "到食堂吃" in page.content.decode()
    booking = Booking.objects.get()
    assert booking.booked_by == "家属·女儿"
    assert 'value="delivery"' not in phone.get("/me/book/").content.decode()  # not offered
    refused = phone.post(
        "/me/book/",
        {
            "action": "book",
            "day": "2026-03-13",
            "session": "lunch",
            "canteen": canteen.pk,
            "mode": "delivery",
        },
        follow=True,
    )
    assert "不在送餐服务对象范围内" in refused.content.decode()
    # Cancelling asks first: the question changes nothing, the answer cancels.
    asked = phone.get("/me/cancel/?day=2026-03-12&session=lunch").content.decode()
    assert "要取消这一餐吗？" in asked and Booking.objects.get().status == BookingStatus.BOOKED
    done = phone.post(
        "/me/cancel/", {"action": "cancel", "day": "2026-03-12", "session": "lunch"}, follow=True
    )
    assert "已取消" in done.content.decode()
    assert Booking.objects.get().status == BookingStatus.CANCELLED


def test_the_top_bar_shows_each_role_its_pages(
    canteen: Canteen, make_user: Callable[..., Any], signed_in: Any
) -> None:
    worker = signed_in(make_user(Role.VILLAGE_WORKER, region=VILLAGE)).get("/").content.decode()
    assert "/bookings/" in worker and "/alerts/" in worker and "/delivery/" not in worker
    assert "/admin/" in worker and "/api/v1/docs" not in worker and "/terminal/" not in worker
    # A courier's home is the round; their bar offers nothing else to get lost in.
    courier = signed_in(make_user(Role.DELIVERY_VOLUNTEER, canteen=canteen))
    landing = courier.get("/", follow=True)
    assert landing.redirect_chain == [("/delivery/", 302)]
    page = landing.content.decode()
    assert "/bookings/" not in page and "/coverage/" not in page
    assert "/admin/" not in page and "/api/v1/docs" not in page
    manager = signed_in(make_user(Role.CANTEEN_MANAGER, canteen=canteen)).get("/").content.decode()
    assert f"/kitchen/{canteen.pk}/" in manager and "/terminal/" in manager
    # A cashier lands on the way to the counter and the day's takings.
    cashier = signed_in(make_user(Role.CASHIER, canteen=canteen)).get("/").content.decode()
    assert 'data-testid="open-counter"' in cashier and 'data-testid="takings"' in cashier
    assert "/admin/" not in cashier and "/settlement/" not in cashier
