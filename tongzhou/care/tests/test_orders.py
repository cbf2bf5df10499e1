"""Orders at the door: drawn from the entitlement purse, dispatched, accepted, checked in and
out inside the fence for long enough, confirmed by the elder's own credential; anything
else goes to review, and a rejected or cancelled order gives its quantity back."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongzhou.access.roles import Role
from tongzhou.care.models import EntitlementPurse, OrderStatus, Provider
from tongzhou.care.selectors import orders_visible_to
from tongzhou.care.services import (
    Position,
    order_accept,
    order_cancel,
    order_check_in,
    order_check_out,
    order_confirm,
    order_create,
    order_dispatch,
    order_finish_unconfirmed,
    order_review,
)
from tongzhou.care.tests.conftest import VILLAGE, at
from tongzhou.core.errors import DomainError, NotFound
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.identity.services import card_issue


@pytest.fixture
def elder(make_elder: Callable[..., Any], superuser: Any, care_list: None, now: Any) -> Any:
    person = make_elder(VILLAGE, birth=dt.date(1944, 6, 1))
    membership_add(
        actor=superuser,
        elder=person,
        category=Category.objects.get(code="dibao"),
        valid_from=dt.date(2025, 1, 1),
    )
    return person


@pytest.fixture
def worker(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.VILLAGE_WORKER, region=VILLAGE)


def _photo(content: bytes = b"\xff\xd8photo-one") -> SimpleUploadedFile:
    return SimpleUploadedFile("p.jpg", content, content_type="image/jpeg")


def _door(elder: Any) -> Position:
    return Position(lon=elder.residence.lon, lat=elder.residence.lat, accuracy_m=10)


def _served(
    worker: Any,
    carer_user: Any,
    provider: Provider,
    elder: Any,
    now: Any,
    *,
    minutes: int = 70,
    where: Position | None = None,
) -> Any:
    order = order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    order_dispatch(actor=worker, order_id=order.pk, provider=provider)
    order_accept(
        actor=carer_user,
        order_id=order.pk,
        window_start=at(2026, 3, 10, 14),
        window_end=at(2026, 3, 10, 16),
    )
    now(at(2026, 3, 10, 14, 5))
    order_check_in(actor=carer_user, order_id=order.pk, position=where or _door(elder))
    now(at(2026, 3, 10, 14, 5) + dt.timedelta(minutes=minutes))
    return order_check_out(
        actor=carer_user,
        order_id=order.pk,
        position=where or _door(elder),
        photo=_photo(f"photo-{order.pk}".encode()),
    )


def test_an_order_at_the_door_confirmed_by_card_is_approved(
    worker: Any, carer_user: Any, provider: Provider, elder: Any, superuser: Any, now: Any
) -> None:
    card_issue(actor=superuser, elder=elder, number="3309001234567")
    order = _served(worker, carer_user, provider, elder, now)
    assert order.check_in_distance_m == 0
    done = order_confirm(actor=carer_user, order_id=order.pk, credential="3309001234567")
    assert done.status == OrderStatus.APPROVED and done.review_reasons == []
    assert done.confirmed_by == "card"
    assert (done.price_fen, done.government_fen, done.elder_fen) == (4000, 4000, 0)
    purse = EntitlementPurse.objects.get(elder=elder, item_code="S21")
    assert (purse.period_id, purse.granted, purse.used) == ("202603", 4, 1)


def test_another_elder_s_card_is_refused_and_changes_nothing(
    worker: Any,
    carer_user: Any,
    provider: Provider,
    elder: Any,
    superuser: Any,
    now: Any,
    make_elder: Callable[..., Any],
) -> None:
    neighbour = make_elder(VILLAGE, birth=dt.date(1945, 1, 1), name="邻居")
    card_issue(actor=superuser, elder=neighbour, number="3309007654321")
    order = _served(worker, carer_user, provider, elder, now)
    with pytest.raises(DomainError) as refused:
        order_confirm(actor=carer_user, order_id=order.pk, credential="3309007654321")
    assert refused.value.code == "care_confirm_other_elder"
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_SERVICE and not order.confirmed_by


def test_outside_the_fence_too_short_or_unconfirmed_goes_to_review(
    worker: Any, carer_user: Any, provider: Provider, elder: Any, now: Any
) -> None:
    far = Position(lon=elder.residence.lon + 0.01, lat=elder.residence.lat, accuracy_m=10)
    order = _served(worker, carer_user, provider, elder, now, minutes=20, where=far)
    done = order_finish_unconfirmed(actor=carer_user, order_id=order.pk, why="老人午睡")
    assert done.status == OrderStatus.REVIEW
    joined = " ".join(done.review_reasons)
    assert "超出 200 米" in joined and "少于规定的 60 分钟" in joined and "老人未确认" in joined
    rejected = order_review(actor=_town(worker), order_id=order.pk, approve=False, note="未上门")
    assert rejected.status == OrderStatus.REJECTED
    assert EntitlementPurse.objects.get(elder=elder, item_code="S21").used == 0


def _town(worker: Any) -> Any:
    from tongzhou.accounts.models import User

    return User.objects.create_user(
        "town-reviewer", role=Role.TOWN_OFFICER, region=worker.region.parent
    )


def test_the_purse_runs_out_in_a_month_and_refills_in_the_next(
    worker: Any, elder: Any, now: Any
) -> None:
    order_create(actor=worker, elder=elder, item_code="S21", quantity=3)
    with pytest.raises(DomainError) as refused:
        order_create(actor=worker, elder=elder, item_code="S21", quantity=2)
    assert refused.value.code == "care_entitlement_used_up"
    last = order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    order_cancel(actor=worker, order_id=last.pk, why="老人住院")
    order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    now(at(2026, 4, 1, 8))
    april = order_create(actor=worker, elder=elder, item_code="S21", quantity=4)
    assert april.purse.period_id == "202604"


def test_an_item_not_entitled_is_a_request_the_elder_pays_for(worker: Any, elder: Any) -> None:
    order = order_create(actor=worker, elder=elder, item_code="S22", quantity=1)  # bathing
    assert order.source == "request" and order.purse is None
    assert (order.price_fen, order.elder_fen, order.government_fen) == (6000, 6000, 0)


def test_a_duplicate_photo_sends_the_second_record_to_review(
    worker: Any, carer_user: Any, provider: Provider, elder: Any, superuser: Any, now: Any
) -> None:
    card_issue(actor=superuser, elder=elder, number="3309001234567")
    first = _served(worker, carer_user, provider, elder, now)
    order_confirm(actor=carer_user, order_id=first.pk, credential="3309001234567")
    now(at(2026, 3, 10, 9))
    second = order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    order_dispatch(actor=worker, order_id=second.pk, provider=provider)
    order_accept(
        actor=carer_user,
        order_id=second.pk,
        window_start=at(2026, 3, 10, 17),
        window_end=at(2026, 3, 10, 19),
    )
    now(at(2026, 3, 10, 17))
    order_check_in(actor=carer_user, order_id=second.pk, position=_door(elder))
    now(at(2026, 3, 10, 18, 10))
    order_check_out(
        actor=carer_user,
        order_id=second.pk,
        position=_door(elder),
        photo=_photo(f"photo-{first.pk}".encode()),
    )
    done = order_confirm(actor=carer_user, order_id=second.pk, credential="3309001234567")
    assert done.status == OrderStatus.REVIEW
    assert done.review_reasons == ["服务照片与另一张订单的照片相同"]


def test_no_position_is_refused_and_the_carer_sees_only_their_orders(
    worker: Any,
    carer_user: Any,
    provider: Provider,
    elder: Any,
    make_user: Callable[..., Any],
    now: Any,
) -> None:
    order = order_create(actor=worker, elder=elder, item_code="S21", quantity=1)
    assert list(orders_visible_to(carer_user)) == []  # not yet dispatched to their provider
    order_dispatch(actor=worker, order_id=order.pk, provider=provider)
    assert list(orders_visible_to(carer_user)) == [order]
    order_accept(
        actor=carer_user,
        order_id=order.pk,
        window_start=at(2026, 3, 10, 14),
        window_end=at(2026, 3, 10, 16),
    )
    with pytest.raises(DomainError) as refused:
        order_check_in(actor=carer_user, order_id=order.pk, position=None)
    assert refused.value.code == "care_position_missing"
    other_village = make_user(Role.VILLAGE_WORKER, region="330902002002")
    assert list(orders_visible_to(other_village)) == []
    with pytest.raises(NotFound):
        order_cancel(actor=other_village, order_id=order.pk, why="x")


def test_one_approved_record_in_ten_is_drawn_for_a_callback(
    worker: Any, carer_user: Any, provider: Provider, elder: Any, superuser: Any, now: Any
) -> None:
    from tongzhou.care.models import ServiceOrder
    from tongzhou.care.selectors import orders_for_staff
    from tongzhou.care.services import order_callback

    card_issue(actor=superuser, elder=elder, number="3309001234567")
    done = _served(worker, carer_user, provider, elder, now)
    order_confirm(actor=carer_user, order_id=done.pk, credential="3309001234567")
    ServiceOrder.objects.filter(pk=done.pk).update(id=10)  # as if it were the tenth record
    town = _town(worker)
    assert [o.pk for o in orders_for_staff(town, status="callback")] == [10]
    order_callback(actor=worker, order_id=10, satisfaction=5, note="很满意")
    assert list(orders_for_staff(town, status="callback")) == []


def test_each_provider_s_month_sums_approved_records_per_payer_and_holds_the_rest(
    worker: Any,
    carer_user: Any,
    provider: Provider,
    elder: Any,
    superuser: Any,
    now: Any,
    signed_in: Callable[[Any], Any],
) -> None:
    from openpyxl import load_workbook

    from tongzhou.care.selectors import provider_month

    card_issue(actor=superuser, elder=elder, number="3309001234567")
    approved = _served(worker, carer_user, provider, elder, now)
    order_confirm(actor=carer_user, order_id=approved.pk, credential="3309001234567")
    now(at(2026, 3, 10, 9))
    held = _served(worker, carer_user, provider, elder, now, minutes=10)  # too short
    order_finish_unconfirmed(actor=carer_user, order_id=held.pk, why="老人外出")
    [line] = provider_month(worker, dt.date(2026, 3, 1))
    assert line.statement is None
    assert [line.figures[k] for k in ("orders", "price_fen", "government_fen", "elder_fen")] == [
        1,
        4000,
        4000,
        0,
    ]
    assert (line.held, line.held_fen) == (1, 4000)
    assert provider_month(worker, dt.date(2026, 4, 1)) == []
    answer = signed_in(worker).get("/care/settlement/?month=2026-03&format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] == provider.name]
    assert rows == [(provider.name, "未核定", 1, 0, 40.0, 40.0, 0, 0, 40.0, 1, 40.0)]
