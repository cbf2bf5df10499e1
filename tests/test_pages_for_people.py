"""The demo as its people meet it, in a real browser: each role lands on its day's work, an
elder books a meal and finds their code on a phone on the first try, nothing scrolls
sideways on a phone, tablet or desktop, axe-core (served from the repository) finds no
serious or critical accessibility violation, confirmations can be cancelled, and no page
of the demo shows a raw code, a Python value or UTC."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from tongzhou.accounts.models import User
from tongzhou.elders.models import Category, Elder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"
PHONE, TABLET, DESKTOP = (360, 740), (768, 1024), (1280, 900)
PASSWORD = "tongzhou-demo"


@pytest.fixture
def demo(live_zhoushan: None, settings: Any, tmp_path: Path) -> dict[str, str]:
    """The small demo city (the one `make run` serves), its terminals' credentials."""
    settings.VAR_DIR = tmp_path
    call_command("generate_demo", "--scale", "small", stdout=open("/dev/null", "w"))  # noqa: SIM115
    lines = (tmp_path / "demo-terminals.txt").read_text().splitlines()
    return {"terminal": next(line.split()[-1] for line in lines if "tzt_" in line)}


def _signed_in(chromium: Any, base: str, username: str, size: tuple[int, int]) -> Any:
    page = chromium.new_page(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("main h1, main .stop, main p")
    return page


def _no_sideways_scroll(page: Any, where: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{where} scrolls sideways by {wide}px"


def _axe(browser: Any, base: str, cookies: list[Any], path: str) -> list[str]:
    """Serious and critical violations on one page (axe-core injected from the repository;
    the page's own CSP forbids inline scripts, so this context bypasses it)."""
    context = browser.new_context(
        locale="zh-CN", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' +
                     v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""
    )
    context.close()
    return [f"{path} {item}" for item in found]


def test_the_demo_as_its_people_meet_it(
    live_server: Any, chromium: Any, demo: dict[str, str]
) -> None:
    """One demo city (it takes a while to build) for every walk below, in turn."""
    _each_role_lands_on_its_days_work(live_server, chromium)
    _the_counter_fits_phone_tablet_and_desktop(live_server, chromium, demo)
    _an_elder_books_and_finds_the_code_on_a_phone_first_try(live_server, chromium)
    _confirmations_can_be_cancelled(live_server, chromium)
    _an_official_takes_a_list_away(live_server, chromium)
    _no_page_of_the_demo_shows_a_raw_code()


def _each_role_lands_on_its_days_work(live_server: Any, chromium: Any) -> None:
    base = live_server.url
    problems: list[str] = []
    landing = {
        "city": ("[data-testid=meals-month]", "[data-testid=chart-daily][data-drawn]"),
        "dinghai": ("[data-testid=coverage-rate]", "[data-testid=chart-area]"),
        "canteen1": ("[data-testid=today-sessions]", "[data-testid=takings]"),
        "cashier1": ("[data-testid=open-counter]", "[data-testid=takings]"),
        "xian": ("[data-testid=alerts-open]", "[data-testid=unbooked]"),
        "courier1": ("[data-testid=run]", "[data-testid=stop]"),
        "carer1": ("[data-testid=today-order]", "[data-testid=to-accept]"),
    }
    for username, (first, second) in landing.items():
        page = _signed_in(chromium, base, username, PHONE)
        for size in (PHONE, TABLET, DESKTOP):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.reload()
            page.wait_for_selector(first)
            page.wait_for_selector(second)
            _no_sideways_scroll(page, f"{username}'s home at {size[0]}px")
            if size == PHONE:
                page.screenshot(
                    path=str(SCREENSHOTS / f"home-{username}-phone.png"), full_page=True
                )
        cookies = page.context.cookies()
        page.close()
        paths = {
            "city": ["/", "/coverage/", "/settlement/", "/settlement/charts/", "/exports/",
                     "/settlement/anomalies/"],
            "canteen1": ["/", "/delivery/"],
            "xian": ["/", "/alerts/", "/bookings/"],
            "courier1": ["/delivery/"],
            "cashier1": ["/"],
        }.get(username, [])  # fmt: skip
        for path in paths:
            problems += _axe(chromium, base, cookies, path)
    assert problems == [], "\n".join(problems)


def _the_counter_fits_phone_tablet_and_desktop(
    live_server: Any, chromium: Any, demo: dict[str, str]
) -> None:
    for size in (PHONE, TABLET, DESKTOP):
        page = chromium.new_page(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
        page.goto(f"{live_server.url}/terminal/")
        page.get_by_label("终端凭证").fill(demo["terminal"])
        page.get_by_role("button", name="保存").click()
        page.locator("#counter:not([hidden])").wait_for()
        page.get_by_test_id("day-summary").click()
        page.get_by_test_id("summary").wait_for()
        _no_sideways_scroll(page, f"the counter at {size[0]}px")
        if size == TABLET:
            page.screenshot(path=str(SCREENSHOTS / "counter-tablet.png"), full_page=True)
        page.close()
    context = chromium.new_context(locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/terminal/")
    page.get_by_label("终端凭证").fill(demo["terminal"])
    page.get_by_role("button", name="保存").click()
    page.locator("#counter:not([hidden])").wait_for()
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""
    )
    context.close()
    assert found == [], found


def _an_elder_books_and_finds_the_code_on_a_phone_first_try(
    live_server: Any, chromium: Any
) -> None:
    from tongzhou.portal.services import grant_and_code

    worker = User.objects.get(username="xian")
    elder = Elder.objects.filter(residence=worker.region, status="active").first()
    assert elder is not None
    code = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="本人").code
    page = chromium.new_page(locale="zh-CN", viewport={"width": PHONE[0], "height": PHONE[1]})
    page.goto(f"{live_server.url}/me/login/?code={code}")
    page.get_by_role("button", name="打开").click()
    # Home: one large button per task, each at least 60 px tall, type at least 18 px.
    tasks = page.locator(".task")
    assert tasks.count() == 6
    for box in (tasks.nth(i).bounding_box() for i in range(tasks.count())):
        assert box is not None and box["height"] >= 60
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    _no_sideways_scroll(page, "the elder's home")
    cookies = page.context.cookies()

    # Book with what the screen offers first: the first open day without a lunch yet.
    page.get_by_role("link", name="订餐").click()
    for choice in page.locator(".choice").all():
        box = choice.bounding_box()
        assert box is not None and box["height"] >= 60
    _no_sideways_scroll(page, "the booking screen")
    page.get_by_role("button", name="订这一餐").click()
    result = page.get_by_test_id("result")
    result.wait_for()
    assert "订好了" in result.inner_text(), result.inner_text()
    box = result.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE[1]  # in view
    page.screenshot(path=str(SCREENSHOTS / "elder-booked-phone.png"))

    # Cancel asks first; "keep it" changes nothing.
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="我订的餐").click()
    booked_before = page.get_by_test_id("booked").locator("li").count()
    page.get_by_role("link", name="取消这一餐").first.click()
    page.get_by_role("link", name="不取消，返回").click()
    assert page.get_by_test_id("booked").locator("li").count() == booked_before

    # The code: two taps from home, large and readable.
    page.get_by_role("link", name="返回").click()
    page.get_by_role("link", name="我的助餐码").click()
    qr = page.get_by_test_id("qr").locator("svg")
    qr.wait_for()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 280
    _no_sideways_scroll(page, "the code screen")
    page.close()
    problems = [
        item
        for path in ("/me/", "/me/book/", "/me/booked/", "/me/code/", "/me/meals/", "/me/family/")
        for item in _axe(chromium, live_server.url, cookies, path)
    ]
    assert problems == [], "\n".join(problems)


def _confirmations_can_be_cancelled(live_server: Any, chromium: Any) -> None:
    from tongzhou.bookings.models import Booking, BookingStatus
    from tongzhou.settlement.models import Statement

    base = live_server.url
    # The canteen opens last month's statement and thinks again before submitting.
    page = _signed_in(chromium, base, "canteen1", DESKTOP)
    page.goto(f"{base}/settlement/")
    page.get_by_role("button", name="打开上月结算单").click()
    page.get_by_role("button", name="提交乡镇/区县审核").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for()
    assert "提交后本期交易即固定" in dialog.inner_text()
    page.get_by_role("button", name="取消").click()
    assert not dialog.is_visible()
    assert Statement.objects.get().status == "draft"
    page.get_by_role("button", name="提交乡镇/区县审核").click()
    page.get_by_role("button", name="确定").click()
    page.get_by_test_id("statement-status").wait_for()
    assert Statement.objects.get().status == "submitted"
    page.close()

    # A courier's "nobody answered" asks first, too.
    courier = _signed_in(chromium, base, "courier1", PHONE)
    open_stops = courier.locator("[data-testid=stop]:not(.done)")
    before = Booking.objects.filter(status=BookingStatus.NOT_DELIVERED).count()
    open_stops.first.get_by_role("button", name="无人应答").click()
    courier.locator("#confirm-dialog").wait_for()
    courier.get_by_role("button", name="取消").click()
    courier.wait_for_timeout(300)
    assert Booking.objects.filter(status=BookingStatus.NOT_DELIVERED).count() == before
    _no_sideways_scroll(courier, "the courier's round")
    courier.close()


def _an_official_takes_a_list_away(live_server: Any, chromium: Any) -> None:
    """The export button fetches the file while saying how far it is, and saves it under
    its Chinese name."""
    from openpyxl import load_workbook

    context = chromium.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("city")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/exports/")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_test_id("export-meals").get_by_role("button", name="导出 Excel").click()
    assert download.value.suggested_filename.startswith("用餐明细-")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None and sheet["A2"].value == "日期"
    assert "已保存" in page.locator(".download-status").inner_text()
    context.close()


class _Text(HTMLParser):
    """The words a reader sees: text outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words.append(data)


def _codes() -> set[str]:
    """Every stored code a page could show raw: the choices of every model, the categories."""
    codes = set(Category.objects.values_list("code", flat=True))
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or []:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value):
                    codes.add(value)
    return codes


SKIP = re.compile(
    r"^/(admin|api|static|accounts/logout|i18n)/|format=|\.(xlsx|pdf)$|/labels|^/terminal/"
)


def _no_page_of_the_demo_shows_a_raw_code() -> None:
    """Walks every page each demo user can reach by links from their home, in Chinese."""
    codes = _codes()
    raw = re.compile(
        r"(?<![A-Za-z0-9_.\-/])(" + "|".join(sorted(codes, key=len, reverse=True))
        + r"|None|True|False|UTC)(?![A-Za-z0-9_\-])"
        + r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]00:00\b"  # machine times, or UTC
    )  # fmt: skip
    assert raw.search("人员类别 semi_disabled 3") and raw.search("时间 2026-03-01T04:00:00+00:00")
    assert not raw.search("小票 R261207-1-AB12")
    found: list[str] = []
    walked: dict[str, int] = {}
    for username in ("city", "dinghai", "changguo", "xian", "canteen1", "cashier1", "courier1",
                     "carer1", "auditor"):  # fmt: skip
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=username))
        queue: list[str] = ["/"]
        seen: set[str] = set()
        while queue and len(seen) < 60:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            answer = client.get(path, follow=True)
            assert answer.status_code == 200, f"{username} {path} → {answer.status_code}"
            if "text/html" not in answer["Content-Type"]:
                continue
            html = answer.content.decode()
            # A title is a name, not a page: a block left open would swallow markup into it.
            title = re.search(r"<title>(.*?)</title>", html, flags=re.S)
            assert title and "<" not in title.group(1) and len(title.group(1)) <= 80, (
                f"{username} {path}: {title.group(1)[:120] if title else None!r}"
            )
            text = _Text()
            text.feed(html)
            words = " ".join(text.words)
            for m in raw.finditer(words):
                around = words[max(0, m.start() - 30) : m.end() + 30]
                found.append(f"{username} {path}: {m.group(0)!r} in …{around}…")
            for href in text.links:
                url = urlparse(urljoin(path, href))
                if (
                    url.netloc
                    or not url.path.startswith("/")
                    or SKIP.search(url.path + "?" + url.query)
                ):
                    continue
                link = url.path + (f"?{url.query}" if url.query else "")
                if link not in seen and "page=" not in url.query:
                    queue.append(link)
        walked[username] = len(seen)
    assert min(walked.values()) >= 2 and sum(walked.values()) >= 60, walked
    assert found == [], "\n".join(found[:40])
