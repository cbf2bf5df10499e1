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
        assert page.get_by_role("heading", name="登记在册老年人：1").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "home-zh.png"))

        page.get_by_role("button", name="English").click()
        page.wait_for_selector("text=Elders on the register: 1")

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


def test_the_pages_keep_their_content_security_policy(
    live_server: Any,
    chromium: Any,
    live_zhoushan: None,
    make_user: Any,
    make_elder: Any,
    make_canteen: Any,
) -> None:
    """Every page loads and runs its own scripts with no inline script and no request the
    policy refuses (the browser reports each refusal on the console)."""
    from tongzhou.portal.services import grant_and_code

    canteen = make_canteen("330902002001")
    city = make_user(Role.CITY_BUREAU, region="330900")
    elder = make_elder("330902002001", name="陈阿婆")
    issued = grant_and_code(actor=city, elder=elder, kind="self", holder_name="本人")
    page = chromium.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    try:
        page.goto(f"{live_server.url}/me/login/")
        page.locator("input[name=code]").fill(issued.code)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_selector("[data-testid=task-code]")
        page.goto(f"{live_server.url}/me/code/")
        page.wait_for_selector("[data-testid=qr]")
        assert page.get_attribute("[data-testid=qr]", "data-refresh-ms") == "30000"
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(city.username)
        page.get_by_label("密码").fill("x-Test-pass-1")
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("h1")
        for path in ("/", "/bookings/", f"/kitchen/{canteen.pk}/", "/alerts/",
                     "/coverage/", "/settlement/", "/settlement/charts/", "/admin/",
                     f"/admin/elders/elder/{elder.pk}/change/", "/admin/meals/meal/",
                     "/api/v1/docs", "/terminal/"):  # fmt: skip
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status < 400, path
            assert "Content-Security-Policy" in {k.title(): v for k, v in
                                                 response.headers.items()}, path  # fmt: skip
            page.wait_for_load_state("networkidle")
        assert refused == [], refused
    finally:
        page.close()
