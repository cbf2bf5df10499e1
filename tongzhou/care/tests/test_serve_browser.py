"""A carer's visit on a phone-sized page, with the position given by the browser: accept,
check in at the door, check out with a photo, the elder confirms with their card, with the
code on their phone read by the phone's camera, or with their face turning as asked."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.care.models import OrderStatus, ServiceItem, ServiceOrder
from tongzhou.care.services import (
    Position,
    order_accept,
    order_check_in,
    order_check_out,
    order_create,
    order_dispatch,
)
from tongzhou.care.tests.conftest import VILLAGE
from tongzhou.core import clock
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.identity.face import available as face_available
from tongzhou.identity.render import qr_png
from tongzhou.identity.services import card_issue, qr_current_code, qr_identity_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FACES = Path(__file__).resolve().parents[3] / "tests" / "data" / "faces"
# A check-in waits for the phone's position: 20 s once allowed, 25 s for an unanswered
# permission question (care.js).
GEO_WAIT_MS = 60_000


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


def _late(route: Any) -> None:
    time.sleep(1.5)
    route.continue_()


def _phone(chromium: Any, live_server: Any, user: Any, **context: Any) -> Any:
    browser_context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", **context
    )
    if "geolocation" in context.get("permissions", []):
        # Granted for the live server's own origin too, so no question is ever left open.
        browser_context.grant_permissions(["geolocation"], origin=live_server.url)
    # The page's script arrives late, as on a loaded machine or a weak signal: the buttons
    # must not send the form before it runs.
    browser_context.route("**/care/care*.js", _late)
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
        # The page after the check-in (the phone's position comes first: up to 20 s).
        page.wait_for_selector("[data-testid=check-out]", timeout=GEO_WAIT_MS)
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
        # Refused at once, or said by the page after 25 s when the question stays unanswered.
        page.wait_for_selector("[data-geo-status]:has-text('允许')", timeout=GEO_WAIT_MS)
    finally:
        page.context.close()
    assert ServiceOrder.objects.get(pk=dispatched.pk).check_in_at is None


# The phone's camera in the test: a canvas whose stream getUserMedia answers with, showing
# whatever picture the test puts in front of it (`_show`).
CAMERA = """
(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 480; canvas.height = 480;
  let picture = null;
  setInterval(() => {
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, 480, 480);
    if (picture) context.drawImage(picture, (480 - picture.width) / 2, (480 - picture.height) / 2);
  }, 40);
  window.__show = (url) => new Promise((resolve) => {
    const image = new Image();
    image.onload = () => { picture = image; setTimeout(resolve, 120); };
    image.src = url;
  });
  navigator.mediaDevices.getUserMedia = () => Promise.resolve(canvas.captureStream(25));
})();
"""


def _show(page: Any, picture: bytes, kind: str = "jpeg") -> None:
    page.evaluate(f"window.__show('data:image/{kind};base64,{base64.b64encode(picture).decode()}')")


def _served_on_phone(page: Any) -> None:
    """Accept, check in and check out, as far as the elder's confirmation."""
    page.click("[data-testid=to-accept] button[type=submit]")
    page.click("[data-testid=today-order]")
    page.click("[data-testid=check-in]")
    page.wait_for_selector("[data-testid=check-out]", timeout=GEO_WAIT_MS)
    photo = {"name": "service.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8 kitchen"}
    page.set_input_files("input[name=photo]", files=[photo])
    page.click("[data-testid=check-out]")
    page.wait_for_selector("[data-testid=confirm-ways]")


def _camera_phone(chromium: Any, live_server: Any, carer_user: Any, order: ServiceOrder) -> Any:
    door = order.elder.residence
    page = _phone(chromium, live_server, carer_user, permissions=["geolocation"],
                  geolocation={"longitude": door.lon, "latitude": door.lat})  # fmt: skip
    page.add_init_script(CAMERA)
    return page


def test_the_camera_reads_the_code_on_the_elder_s_phone(
    live_server: Any, chromium: Any, dispatched: ServiceOrder, carer_user: Any
) -> None:
    page = _camera_phone(chromium, live_server, carer_user, dispatched)
    try:
        _served_on_phone(page)
        code = qr_current_code(qr_identity_for(dispatched.elder))
        _show(page, qr_png(code, scale=6), "png")
        page.click("[data-testid=scan-code]")
        page.wait_for_selector("[data-testid=confirm-ways]", state="detached", timeout=15000)
        assert "老人已确认" in page.inner_text(".messages")
    finally:
        page.context.close()
    assert ServiceOrder.objects.get(pk=dispatched.pk).confirmed_by == "qr"


@pytest.mark.skipif(not face_available(), reason="the optional 'face' extra is not installed")
def test_the_elder_confirms_with_a_face_that_turns_as_asked(
    live_server: Any,
    chromium: Any,
    dispatched: ServiceOrder,
    carer_user: Any,
    superuser: Any,
    monkeypatch: Any,
) -> None:
    from tongzhou.identity import liveness
    from tongzhou.identity.face_services import face_enrol

    face_enrol(actor=superuser, elder=dispatched.elder, image=(FACES / "obama2.jpg").read_bytes(),
               consent_method="written", keep_photo=False)  # fmt: skip
    monkeypatch.setattr(liveness, "TURNS", {"left": 1.0})  # the turn the server will ask for
    # The visit itself is the first test's; here the order is served up to the confirmation.
    door = dispatched.elder.residence
    at_door = Position(lon=door.lon, lat=door.lat, accuracy_m=10)
    now = timezone.localtime(clock.now())
    order_accept(actor=carer_user, order_id=dispatched.pk, window_start=now,
                 window_end=now + dt.timedelta(hours=2))  # fmt: skip
    order_check_in(actor=carer_user, order_id=dispatched.pk, position=at_door)
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8 kitchen", "image/jpeg")
    order_check_out(actor=carer_user, order_id=dispatched.pk, position=at_door, photo=photo)
    page = _camera_phone(chromium, live_server, carer_user, dispatched)
    try:
        page.goto(f"{live_server.url}/care/serve/{dispatched.pk}/")
        page.wait_for_selector("[data-testid=confirm-ways]")
        _show(page, (FACES / "obama.jpg").read_bytes())
        page.click("[data-testid=face-confirm]")
        deadline = time.monotonic() + 15
        while "左" not in page.inner_text("[data-camera-prompt]"):  # the turn asked for
            assert time.monotonic() < deadline, page.inner_text("main")
            page.wait_for_timeout(50)
        _show(page, (FACES / "obama1.jpg").read_bytes())
        page.wait_for_selector("[data-testid=confirm-ways]", state="detached", timeout=15000)
        assert "刷脸确认" in page.inner_text(".messages")
    finally:
        page.context.close()
    assert ServiceOrder.objects.get(pk=dispatched.pk).confirmed_by == "face"
