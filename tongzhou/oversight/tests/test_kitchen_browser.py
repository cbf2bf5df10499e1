"""A morning's records on the kitchen's tablet, in a real browser: the health check, a sample
with its photo, the disinfection and the refrigerator, until the day is complete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from tongzhou.access.roles import Role
from tongzhou.canteens.models import Dish, Menu, MenuItem
from tongzhou.core import clock
from tongzhou.oversight.models import FoodSample, KitchenStaff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_morning_on_the_kitchen_tablet(
    live_server: Any,
    chromium: Any,
    live_zhoushan: None,
    make_canteen: Callable[..., Any],
    make_user: Callable[..., Any],
    tmp_path: Any,
) -> None:
    canteen = make_canteen("330902002001")
    dish = Dish.objects.create(canteen=canteen, name="清蒸鲳鱼", price_fen=1500)
    menu = Menu.objects.create(canteen=canteen, date=clock.today(), session="lunch")
    MenuItem.objects.create(menu=menu, dish=dish, price_fen=1500)
    cook = KitchenStaff.objects.create(
        canteen=canteen, name="李师傅", job="厨师", health_cert_no="JK-1",
        health_cert_expires_on=clock.today() + dt.timedelta(days=365),
    )  # fmt: skip
    manager = make_user(Role.CANTEEN_MANAGER, canteen=canteen)
    photo = tmp_path / "sample.jpg"
    Image.new("RGB", (32, 32), "orange").save(photo, "JPEG")
    page = chromium.new_page(viewport={"width": 800, "height": 1280}, locale="zh-CN")
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", manager.username)
        page.fill("input[name=password]", "x-Test-pass-1")
        page.click("main button[type=submit]")
        page.wait_for_selector("h1")
        page.goto(f"{live_server.url}/oversight/kitchen/")
        assert "李师傅未晨检" in page.inner_text("[data-testid=missing]")
        staff = page.locator(f"[data-testid=staff-{cook.pk}]")
        staff.locator("input[name=temperature]").fill("36.5")
        staff.locator("button[type=submit]").click()
        page.wait_for_selector(f"[data-testid=staff-{cook.pk}] .tag.green")
        sample = page.locator(f"[data-testid=sample-lunch-{dish.pk}]")
        sample.locator("input[name=grams]").fill("150")
        sample.locator("input[name=taken_by]").fill("李师傅")
        sample.locator("input[name=photo]").set_input_files(str(photo))
        sample.locator("button[type=submit]").click()
        page.wait_for_selector(f"[data-testid=sample-lunch-{dish.pk}] >> text=150 克")
        hygiene = page.locator("[data-testid=hygiene-form]")
        hygiene.locator("select[name=kind]").select_option("disinfection")
        hygiene.locator("input[name=method]").fill("高温蒸汽")
        hygiene.locator("button[type=submit]").click()
        page.wait_for_selector("text=餐具消毒")
        hygiene = page.locator("[data-testid=hygiene-form]")
        hygiene.locator("select[name=kind]").select_option("fridge")
        hygiene.locator("input[name=reading]").fill("4")
        hygiene.locator("button[type=submit]").click()
        page.wait_for_selector("text=今日台账已记录完整。")
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
    finally:
        page.close()
    assert FoodSample.objects.get().photo.name.endswith(".jpg")
