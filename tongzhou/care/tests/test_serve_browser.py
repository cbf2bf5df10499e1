"""A carer's visit on a phone-sized page, with the position given by the browser: accept,
check in at the door, check out with a photo, the elder confirms with their card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from tongzhou.access.roles import Role
from tongzhou.care.models import OrderStatus, ServiceItem, ServiceOrder
from tongzhou.care.services import order_create, order_dispatch
from tongzhou.care.tests.conftest import VILLAGE
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.identity.services import card_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dispatched(
    live_zhoushan: None,
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    provider: Any,
    carer_user: Any,
) -> ServiceOrder:
    call_command("load_default_service_list", stdout=None)
    # The test cannot wait an hour at the door: this list asks for no minimum time.
    ServiceItem.objects.filter(code="S21").update(min_minutes=0)
    elder = make_elder(VILLAGE, birth=dt.date(1944, 6, 1), name="陈阿婆")
    membership_add(
        actor=superuser,
        elder=elder,
        category=Category.objects.get(code="dibao"),
        valid_from=dt.date(2025, 1, 1),
    )
    card_issue(actor=superuser, elder=elder, number="3309001234567")
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    order = order_create(actor=worker, elder=elder, item_code="S21", quantity=2)
    return order_dispatch(actor=worker, order_id=order.pk, provider=provider)


def _phone(chromium: Any, live_server: Any, user: Any, **context: Any) -> Any:
    browser_context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", **context
    )
    page = browser_context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "x-Test-pass-1")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    return page


def test_a_carer_completes_an_order_at_the_door(
    live_server: Any, chromium: Any, dispatched: ServiceOrder, carer_user: Any, tmp_path: Any
) -> None:
    door = dispatched.elder.residence
    page = _phone(
        chromium,
        live_server,
        carer_user,
        permissions=["geolocation"],
        geolocation={"longitude": door.lon + 0.0004, "latitude": door.lat},
    )
    try:
        assert "/care/serve/" in page.url  # a carer's home is their list
        page.click("[data-testid=to-accept] button[type=submit]")
        page.click("[data-testid=today-order]")
        page.click("[data-testid=check-in]")
        page.wait_for_selector("[data-testid=check-out]")  # the page after the check-in
        status = page.inner_text("[data-testid=order-status]")
        assert "米" in status  # how far from the door, in metres
        photo = tmp_path / "service.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of the clean kitchen")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("[data-testid=check-out]")
        page.wait_for_selector("[data-testid=confirm]")
        page.fill("input[name=credential]", "3309001234567")
        page.click("[data-testid=confirm] button[type=submit]")
        page.wait_for_selector("[data-testid=confirm]", state="detached")  # confirmed
        assert "老人已确认" in page.inner_text(".messages")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.context.close()
    order = ServiceOrder.objects.get(pk=dispatched.pk)
    assert order.status == OrderStatus.APPROVED, order.review_reasons
    assert 30 < order.check_in_distance_m < 40  # 0.0004° of longitude at 30°N ≈ 38 m
    assert order.confirmed_by == "card"


def test_without_the_phone_s_position_nothing_is_recorded(
    live_server: Any, chromium: Any, dispatched: ServiceOrder, carer_user: Any
) -> None:
    page = _phone(chromium, live_server, carer_user)  # no permission to read the position
    try:
        page.click("[data-testid=to-accept] button[type=submit]")
        page.click("[data-testid=today-order]")
        page.click("[data-testid=check-in]")
        page.wait_for_selector("[data-geo-status]:has-text('允许')")
    finally:
        page.context.close()
    assert ServiceOrder.objects.get(pk=dispatched.pk).check_in_at is None
