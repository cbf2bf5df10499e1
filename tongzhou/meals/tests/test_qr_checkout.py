import datetime as dt
import io
from typing import Any

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from tongzhou.access.roles import Role
from tongzhou.identity.render import qr_png
from tongzhou.identity.services import (
    qr_current_code,
    qr_identity_for,
    qr_printed_card_issue,
    qr_printed_card_revoke,
)
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import LUNCH_NOW

pytestmark = pytest.mark.django_db


def sell(counter: Any, credential: str, key: str, **extra: Any) -> Any:
    body = {"card": credential, "session": "lunch", "lines": [{"amount_fen": 1200}],
            "receipt_no": key, **extra}  # fmt: skip
    return counter.client().post(
        "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def scanned(code: str) -> str:
    """What a scanner would type: the code read back from the rendered image."""
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(code))))
    return result.text


def test_a_rotating_code_sells_once_anywhere_in_the_city(
    counter: Any, make_counter: Any, make_member: Any, lunch_time: Any
) -> None:
    elder, _card = make_member(name="扫码阿婆")
    identity = qr_identity_for(elder)
    code = scanned(qr_current_code(identity))
    sold = sell(counter, code, "q1")
    assert sold.status_code == 201, sold.json()
    assert sold.json()["elder"]["name"] == "扫**婆" and sold.json()["paid"]["own_fen"] == 200
    elsewhere = make_counter("330921100001")
    replay = sell(elsewhere, code, "q2", accept_full_price=True)
    assert (replay.status_code, replay.json()["error"]["code"]) == (409, "qr_replayed")
    assert Meal.objects.count() == 1
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=1))
    fresh = sell(elsewhere, scanned(qr_current_code(identity)), "q3", accept_full_price=True)
    assert fresh.status_code == 201 and fresh.json()["subsidy"]["outcome"] == "session_cap"


def test_tampered_and_expired_codes_are_refused_and_write_nothing(
    counter: Any, make_member: Any, lunch_time: Any
) -> None:
    elder, _card = make_member()
    identity = qr_identity_for(elder)
    code = qr_current_code(identity)
    tampered = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert sell(counter, tampered, "t1").json()["error"]["code"] == "qr_invalid"
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=5))
    expired = sell(counter, code, "t2")
    assert expired.json()["error"]["code"] == "qr_expired"
    assert "刷新" in expired.json()["error"]["message_zh"]
    unknown = "28" + "9" * 21
    assert sell(counter, unknown, "t3").json()["error"]["code"] == "qr_invalid"
    assert Meal.objects.count() == 0


def test_printed_code_cards_work_until_revoked_or_reissued(
    counter: Any, make_member: Any, make_user: Any
) -> None:
    elder, _card = make_member(own_fen=10000)
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    first = qr_printed_card_issue(actor=worker, elder=elder)
    assert sell(counter, first, "p1").status_code == 201
    assert sell(counter, first, "p2", accept_full_price=True).status_code == 201  # static card
    second = qr_printed_card_issue(actor=worker, elder=elder)
    assert (
        sell(counter, first, "p3", accept_full_price=True).json()["error"]["code"] == "qr_revoked"
    )
    assert sell(counter, second, "p4", accept_full_price=True).status_code == 201
    qr_printed_card_revoke(actor=worker, elder=elder)
    assert (
        sell(counter, second, "p5", accept_full_price=True).json()["error"]["code"] == "qr_revoked"
    )


def test_staff_fetch_the_current_code_within_their_area(
    counter: Any, make_member: Any, make_user: Any
) -> None:
    elder, _card = make_member()
    inside = Client()
    inside.force_login(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    answer = inside.get(f"/api/v1/elders/{elder.pk}/qr").json()
    assert answer["code"] == qr_current_code(qr_identity_for(elder))
    assert answer["svg"].startswith("<svg") and answer["valid_seconds"] == 60
    outside = Client()
    outside.force_login(make_user(Role.VILLAGE_WORKER, region="330903001001"))
    assert outside.get(f"/api/v1/elders/{elder.pk}/qr").status_code == 404
