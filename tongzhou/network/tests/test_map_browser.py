"""The map in a real browser: drawn from the islands' own outlines (nothing fetched from
anywhere else), each layer toggled off and on, and no sideways scrolling on a phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.geo.models import Region
from tongzhou.network.models import Facility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_official_opens_the_map_and_toggles_its_layers(
    live_server: Any,
    chromium: Any,
    live_zhoushan: None,
    make_user: Callable[..., Any],
    make_elder: Callable[..., Any],
) -> None:
    make_elder("330902002001", birth=dt.date(1940, 1, 1))
    Facility.objects.create(name="西安居家养老服务中心", kind="home_care",
                            village=Region.objects.get(code="330902002001"), status="operating",
                            opened_on=dt.date(2024, 1, 1), services=["meals"])  # fmt: skip
    official = make_user(Role.DISTRICT_OFFICER, region="330902")
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url)
            and not r.url.startswith("data:") else None)  # fmt: skip
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", official.username)
        page.fill("input[name=password]", "x-Test-pass-1")
        page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/network/map/")
        page.wait_for_selector("[data-network-map][data-drawn]", timeout=15000)
        shapes = "[data-network-map] path.leaflet-interactive"
        everything = page.locator(shapes).count()
        villages = Region.objects.filter(level="village", path__startswith="330900/330902/")
        assert everything > villages.count()  # islands, villages, the facility
        toggle = page.get_by_label("村（社区）覆盖情况")
        toggle.uncheck()
        assert page.locator(shapes).count() == everything - villages.count()
        toggle.check()
        assert page.locator(shapes).count() == everything
        page.get_by_label("海岛分类").uncheck()
        assert page.locator(shapes).count() < everything
        assert "直线距离近似" in page.inner_text("[data-map-status]")  # the method, said
        page.set_viewport_size({"width": 360, "height": 740})  # a phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.close()
    assert outside == []
