"""The counter page in a real browser (Debian chromium): a cashier sells by card, voids it,
and a double tap charges once."""

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from tongzhou.ledger.services import ledger_check
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import LUNCH_NOW


def until(page: Any, condition: str, seconds: float = 30) -> None:
    """Wait until a JavaScript expression holds in the page. Evaluated from outside the page
    (as `page.evaluate` is): the page's Content-Security-Policy forbids the eval that
    `page.wait_for_function` compiles its predicate with, as it should."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        page.wait_for_timeout(50)


SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def counter_page(live_server: Any, chromium: Any, live_zhoushan: None, counter: Any) -> Any:
    page = chromium.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.clock.set_fixed_time(LUNCH_NOW)  # the tablet's clock agrees with the server's
    page.goto(f"{live_server.url}/terminal/")
    page.get_by_label("终端凭证").fill(counter.credential)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="荤素套餐").wait_for()
    yield page
    page.close()


def test_cashier_sells_by_card_and_voids(counter_page: Any, make_member: Any) -> None:
    _elder, card = make_member(name="刷卡阿公")
    page = counter_page
    assert "测试食堂" in page.locator("#canteen-name").inner_text()
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("scan").fill(card)
    page.get_by_test_id("scan").press("Enter")
    result = page.get_by_test_id("result")
    result.locator(".big-line").wait_for()
    until(page, "document.getElementById('result').classList.contains('ok')")
    text = result.inner_text()
    assert "结算成功 · 12.00 元" in text and "刷**公" in text
    assert "48.00" in text  # 50.00 - 2.00 left
    page.screenshot(path=str(SCREENSHOTS / "counter-sale.png"))
    assert page.get_by_test_id("print-receipt").is_visible()
    # Voiding asks first and wants a reason; "do not void" leaves the sale as it was.
    page.get_by_test_id("void-last").click()
    assert page.get_by_test_id("void-dialog").is_visible()
    assert "刷**公" in page.get_by_test_id("void-dialog").inner_text()
    page.get_by_test_id("void-keep").click()
    assert page.get_by_test_id("void-dialog").is_hidden()
    page.wait_for_timeout(300)
    assert Meal.objects.get().status == "completed"
    page.get_by_test_id("void-last").click()
    page.get_by_role("button", name="点错了菜").click()
    until(page, "document.getElementById('result').innerText.includes('已撤销')")
    assert Meal.objects.get().status == "voided"
    from tongzhou.audit.models import AuditEvent

    assert AuditEvent.objects.get(action="meal.void").after["reason"] == "点错了菜"
    assert ledger_check() == []
    # The day's summary at this counter: the sale voided, nothing left to count.
    page.get_by_test_id("day-summary").click()
    page.get_by_test_id("summary").wait_for()
    summary = page.get_by_test_id("summary").inner_text()
    assert "已撤销 1 笔，12.00 元" in summary, summary


def test_the_elder_rates_the_meal_with_one_tap(counter_page: Any, make_member: Any) -> None:
    from tongzhou.oversight.models import MealRating

    _elder, card = make_member(name="评价阿婆")
    page = counter_page
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("scan").fill(card)
    page.get_by_test_id("scan").press("Enter")
    until(page, "document.getElementById('result').classList.contains('ok')")
    rate = page.get_by_test_id("rate")
    assert "这顿饭怎么样" in rate.inner_text()
    rate.locator("[data-stars='5']").click()
    until(page, "document.getElementById('result').innerText.includes('谢谢')")
    assert rate.is_hidden()
    rating = MealRating.objects.get()
    assert (rating.stars, rating.channel, rating.meal_id) == (5, "counter", Meal.objects.get().pk)


def test_a_double_tap_charges_once(counter_page: Any, make_member: Any) -> None:
    _elder, card = make_member()
    page = counter_page
    page.get_by_role("button", name="荤素套餐").click()
    # A reader that sends the card twice in the same instant: the second arrives while the
    # first sale is still on its way.
    page.evaluate(
        """card => {
            const scan = document.getElementById('scan');
            for (let i = 0; i < 2; i++) {
                scan.value = card;
                scan.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
            }
        }""",
        card,
    )
    until(page, "!document.getElementById('result').classList.contains('busy')")
    assert "结算成功 · 12.00 元" in page.get_by_test_id("result").inner_text()
    page.wait_for_timeout(500)
    assert Meal.objects.count() == 1


def test_refusals_show_in_red_in_chinese(counter_page: Any) -> None:
    page = counter_page
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("scan").fill("NOSUCHCARD1")
    page.get_by_test_id("scan").press("Enter")
    until(page, "document.getElementById('result').classList.contains('bad')")
    assert "无法识别此卡" in page.get_by_test_id("result").inner_text()


def test_a_sale_by_the_qr_code_on_the_elders_phone(
    counter_page: Any, chromium: Any, live_server: Any, make_member: Any, make_user: Any
) -> None:
    import io

    import zxingcpp
    from PIL import Image

    from tongzhou.access.roles import Role
    from tongzhou.portal.services import grant_and_code

    elder, _card = make_member(name="手机阿婆")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    code = grant_and_code(actor=worker, elder=elder, kind="family", holder_name="女儿").code
    phone = chromium.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        phone.goto(f"{live_server.url}/me/login/")
        phone.get_by_label("请输入社区工作人员或家人给您的验证码").fill(code)
        phone.get_by_role("button", name="打开").click()
        assert "代 手**婆 操作" in phone.locator(".bar").inner_text()  # a daughter's phone
        phone.get_by_role("link", name="我的助餐码").click()
        phone.get_by_test_id("qr").wait_for()
        shot = phone.get_by_test_id("qr").screenshot()
        phone.screenshot(path=str(SCREENSHOTS / "elder-page.png"), full_page=True)
    finally:
        phone.close()
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    page = counter_page
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("scan").fill(decoded.text)  # what a scanner types
    page.get_by_test_id("scan").press("Enter")
    until(page, "!document.getElementById('result').classList.contains('busy')")
    assert "结算成功 · 12.00 元" in page.get_by_test_id("result").inner_text()
    assert Meal.objects.get().elder == elder


@pytest.fixture
def camera_browser(playwright_driver: Any) -> Any:
    """A chromium with a camera (the fake device); each test then shows it the pictures it
    needs through a canvas stream (`_show`)."""
    from conftest import launch_chromium

    browser = launch_chromium(
        playwright_driver, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"
    )
    yield browser
    browser.close()


FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"


def _show(page: Any, photo: str) -> None:
    """What the counter's camera sees from now on: a photo, drawn into a canvas whose stream
    replaces the camera's (the page grabs its frames from the video as from a camera)."""
    data = base64.b64encode((FACES / photo).read_bytes()).decode()
    page.evaluate(
        """(data) => new Promise((resolve) => {
            const video = document.getElementById("video");
            let canvas = window.__camera;
            if (!canvas) {
              canvas = window.__camera = document.createElement("canvas");
              canvas.width = 480; canvas.height = 480;
              video.srcObject = canvas.captureStream(15);
            }
            const picture = new Image();
            picture.onload = () => {
              const draw = () => {
                const context = canvas.getContext("2d");
                context.fillStyle = "#888";
                context.fillRect(0, 0, 480, 480);
                context.drawImage(picture, (480 - picture.width) / 2, (480 - picture.height) / 2);
              };
              draw();
              clearInterval(window.__redraw);
              window.__redraw = setInterval(draw, 50);
              resolve();
            };
            picture.src = "data:image/jpeg;base64," + data;
        })""",
        data,
    )
    until(page, "document.getElementById('video').videoWidth > 0")


def _counter_with_camera(camera_browser: Any, live_server: Any, counter: Any) -> Any:
    page = camera_browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page.clock.set_fixed_time(LUNCH_NOW)
    page.goto(f"{live_server.url}/terminal/")
    page.get_by_label("终端凭证").fill(counter.credential)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("face").click()
    until(page, "!document.getElementById('camera').hidden")
    return page


@pytest.fixture
def enrolled_obama(make_member: Any, make_user: Any) -> Any:
    pytest.importorskip("dlib", reason="the optional 'face' extra is not installed")
    from tongzhou.access.roles import Role
    from tongzhou.identity.face_services import face_enrol

    elder, _card = make_member(name="欧巴马")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    face_enrol(actor=worker, elder=elder, image=(FACES / "obama2.jpg").read_bytes(),
               consent_method="written", keep_photo=True)  # fmt: skip
    return elder


def test_a_face_sale_turns_the_head_then_goes_through_the_cashiers_confirmation(
    camera_browser: Any, live_server: Any, live_zhoushan: None, counter: Any, enrolled_obama: Any
) -> None:
    page = _counter_with_camera(camera_browser, live_server, counter)
    _show(page, "obama.jpg")  # looking at the camera
    page.get_by_test_id("shoot").click()
    prompt = page.get_by_test_id("camera-prompt")
    until(page, "/向[左右]/.test(document.getElementById('camera-prompt').textContent)")
    asked_left = "向左" in prompt.inner_text()
    _show(page, "obama1.jpg" if asked_left else "obama2.jpg")  # the head turns as asked
    page.screenshot(path=str(SCREENSHOTS / "counter-face-turn.png"))
    page.get_by_test_id("confirm").wait_for(state="visible")
    assert "欧*马" in page.get_by_test_id("confirm").inner_text()
    assert Meal.objects.count() == 0  # nothing charged before the cashier confirms
    page.screenshot(path=str(SCREENSHOTS / "counter-face-confirm.png"))
    page.get_by_test_id("confirm-yes").click()
    until(page, "document.getElementById('result').classList.contains('ok')")
    assert Meal.objects.get().elder == enrolled_obama
    page.close()


def test_a_photo_held_to_the_camera_is_refused_in_plain_words(
    camera_browser: Any, live_server: Any, live_zhoushan: None, counter: Any, enrolled_obama: Any
) -> None:
    page = _counter_with_camera(camera_browser, live_server, counter)
    _show(page, "obama.jpg")  # a still picture: it cannot turn
    page.get_by_test_id("shoot").click()
    until(page, "document.getElementById('result').classList.contains('bad')")
    assert "没有看到按提示转头" in page.get_by_test_id("result").inner_text()
    assert page.get_by_test_id("confirm").is_hidden() and Meal.objects.count() == 0
    page.close()


def test_family_tops_up_at_the_counter_with_the_code_on_their_phone(
    counter_page: Any, make_member: Any
) -> None:
    from tongzhou.identity.services import qr_current_code, qr_identity_for
    from tongzhou.ledger.services import purses_for

    elder, _card = make_member(own_fen=0)
    page = counter_page
    page.locator("details.topup summary").click()
    page.get_by_test_id("topup-amount").fill("100")
    page.get_by_test_id("scan").fill(qr_current_code(qr_identity_for(elder)))
    page.get_by_test_id("scan").press("Enter")
    until(page, "document.getElementById('result').classList.contains('ok')")
    assert "100.00" in page.get_by_test_id("result").inner_text()
    assert purses_for(elder.pk)["elder_own"].balance_fen == 10000
    assert Meal.objects.count() == 0


def test_the_counter_keeps_selling_offline_and_posts_each_sale_once(
    live_server: Any, chromium: Any, live_zhoushan: None, counter: Any, make_member: Any
) -> None:
    from tongzhou.meals.models import OfflineSale
    from tongzhou.meals.tests.conftest import LUNCH_NOW

    members = [make_member(name=name) for name in ("离线阿公", "离线阿婆")]
    page = chromium.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.clock.set_fixed_time(LUNCH_NOW)  # the device's clock agrees with the server's
    page.goto(f"{live_server.url}/terminal/")
    page.get_by_label("终端凭证").fill(counter.credential)
    page.get_by_role("button", name="保存").click()
    page.get_by_role("button", name="荤素套餐").wait_for()
    until(page, "localStorage.getItem('tongzhou.pack') !== null")
    until(page, "navigator.serviceWorker.controller !== null")

    # The network drops and the tablet is reloaded: the kept page opens and sells on.
    page.context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="荤素套餐").wait_for()
    assert "测试食堂" in page.locator("#canteen-name").inner_text()
    for number, (_elder, card) in enumerate(members, start=1):
        page.get_by_role("button", name="荤素套餐").click()
        page.get_by_test_id("scan").fill(card)
        page.get_by_test_id("scan").press("Enter")
        until(page, f"document.getElementById('queue-length').textContent === '{number}'")
    assert page.get_by_test_id("offline-banner").is_visible()
    assert "离线" in page.get_by_test_id("offline-banner").inner_text()
    assert "离**公" not in page.get_by_test_id("result").inner_text()  # the last was 阿婆
    assert "离**婆" in page.get_by_test_id("result").inner_text()
    # An unknown card cannot be checked offline and is not queued.
    page.get_by_role("button", name="荤素套餐").click()
    page.get_by_test_id("scan").fill("NOSUCHCARD1")
    page.get_by_test_id("scan").press("Enter")
    until(page, "document.getElementById('result').classList.contains('bad')")
    assert page.get_by_test_id("queue-length").inner_text() == "2"
    page.screenshot(path=str(SCREENSHOTS / "counter-offline.png"))
    assert not Meal.objects.exists()
    # Meanwhile 阿婆's card is reported lost: her sale cannot be posted and goes to review.
    from django.utils import timezone

    from tongzhou.identity.models import Card

    Card.objects.filter(elder=members[1][0]).update(status="lost", blocked_at=timezone.now())

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    until(page, "document.getElementById('queue-length').textContent === '0'")
    until(page, "document.getElementById('sync-report').textContent.length > 0")
    assert Meal.objects.count() == 1 and OfflineSale.objects.count() == 2
    assert sorted(OfflineSale.objects.values_list("outcome", flat=True)) == ["posted", "review"]
    # The report names whose sale went to review and why.
    report = page.get_by_test_id("sync-report").inner_text()
    assert "离**婆" in report and "挂失" in report, report
    # A queue uploaded again (a lost answer) posts nothing twice.
    page.evaluate("""() => fetch('/api/v1/terminal/offline-sales', {method: 'POST',
        headers: {'Authorization': 'Bearer ' + localStorage.getItem('tongzhou.terminal'),
                  'Content-Type': 'application/json'},
        body: JSON.stringify({sales: []})})""")
    assert Meal.objects.count() == 1
    assert ledger_check() == []
    page.close()
