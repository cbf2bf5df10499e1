"""A district officer signs in with a real browser, reads the home page in Chinese, switches
to English, and finds an elder in the back office."""

from pathlib import Path
from typing import Any

import pytest

from tongzhou.access.roles import Role

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_district_officer_signs_in_and_finds_an_elder(
    live_server: Any, chromium: Any, live_zhoushan: None, make_user: Any, make_elder: Any
) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    make_elder("330902002001", name="陈阿婆")
    make_elder("330903001001", name="普陀的人")  # outside 定海: must not show
    page = chromium.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/")
        page.get_by_label("用户名").fill(officer.username)
        page.get_by_label("密码").fill("x-Test-pass-1")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("h1")
        assert page.locator("h1").inner_text() == "定海区"
        assert page.get_by_test_id("elders-total").inner_text() == "1"
        page.screenshot(path=str(SCREENSHOTS / "home-zh.png"))

        page.get_by_role("button", name="English").click()
        page.wait_for_selector("text=elders on the register")

        page.get_by_role("link", name="Back office").click()
        page.screenshot(path=str(SCREENSHOTS / "admin-index-en.png"))
        page.locator("a[href='/admin/elders/elder/']").first.click()
        page.locator("#searchbar").fill("陈")
        page.keyboard.press("Enter")
        page.wait_for_selector("#result_list")
        table = page.locator("#result_list").inner_text()
        assert "陈阿婆" in table and "普陀的人" not in table
        assert "330902********" in table
    finally:
        page.close()
