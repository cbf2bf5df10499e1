"""The board in a real browser: the city's officials see the lights, a red indicator becomes a
supervision item, the district accepts and reports it, and the city closes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.board.models import DataValue, Indicator, SupervisionItem, Target
from tongzhou.board.services import catalogue_load
from tongzhou.core import clock
from tongzhou.geo.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(chromium: Any, live_server: Any, user: Any) -> Any:
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "x-Test-pass-1")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    return page


def test_a_red_indicator_becomes_an_item_that_is_closed(
    live_server: Any, chromium: Any, live_zhoushan: None, make_user: Callable[..., Any]
) -> None:
    catalogue_load()
    year = str(clock.today().year)
    indicator, dinghai = Indicator.objects.get(code="SW01"), Region.objects.get(code="330902")
    Target.objects.create(indicator=indicator, region=dinghai, period_id=year, value=100)
    DataValue.objects.create(
        indicator=indicator,
        region=dinghai,
        period_id=year,
        value=5,
        numerator=5,
        denominator=100,
        origin="reported",
        status="approved",
    )
    city = make_user(Role.CITY_BUREAU, region="330900")
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    page = _signed_in(chromium, live_server, city)
    try:
        page.goto(f"{live_server.url}/board/")
        assert page.locator("[data-testid=light-counts] .card").count() == 4
        page.goto(f"{live_server.url}/board/SW01/?unit=330902&period={year}")
        page.click("[data-testid=raise-from-indicator]")
        page.fill("input[name=person]", "李主任")
        page.fill("input[name=deadline]", (clock.today() + dt.timedelta(days=20)).isoformat())
        page.click("[data-testid=raise-submit]")
        page.wait_for_selector("[data-testid=item-status]")
        assert "已交办" in page.inner_text("[data-testid=item-status]")
        item = SupervisionItem.objects.get()
        assert item.unit == dinghai and item.indicator == indicator
        other = _signed_in(chromium, live_server, district)
        try:
            other.goto(f"{live_server.url}/board/supervision/{item.pk}/")
            other.click("[data-testid=accept]")
            other.wait_for_selector("[data-testid=report-back]")
            other.fill("input[name=text]", "已完成整治")
            other.once("dialog", lambda dialog: dialog.accept())
            other.click("[data-testid=report-back]")
            if other.locator("dialog[open] [data-confirm-yes]").count():
                other.click("dialog[open] [data-confirm-yes]")
            other.wait_for_selector("text=已反馈")
        finally:
            other.close()
        page.reload()
        page.fill("input[name=text]", "核实无误")
        page.click("[data-testid=close-item]")
        page.wait_for_selector("text=已办结")
    finally:
        page.close()
    assert SupervisionItem.objects.get().status == "closed"
