"""No input crashes the server: a NUL character anywhere in a request, a page offset beyond
the database's integers, a fund name taken twice, a register file with a NUL byte or a huge
cell each get the documented error (a stable code, a Chinese and an English message) and
change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.canteens.services import terminal_create
from tongzhou.charity.models import CharityFund
from tongzhou.elders.importer import ImportFileError, elders_import

pytestmark = pytest.mark.django_db


def _refused(response: Any, code: str = "malformed_input", status: int = 400) -> None:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message_zh"] and error["message_en"]


def test_a_nul_character_anywhere_is_refused_before_any_view(
    make_user: Callable[..., Any], signed_in: Callable[[Any], Client], make_elder: Any
) -> None:
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    elder = make_elder("330902002001")
    events = AuditEvent.objects.count()
    json = "application/json"
    _refused(city.post("/api/v1/charity/funds", {"name": "助餐\u0000基金", "donor": "某企业"},
                       content_type=json))  # fmt: skip
    _refused(city.post("/api/v1/corrections", {"elder_id": elder.pk, "amount_fen": 100,
                       "reason": "更正\u0000"}, content_type=json))  # fmt: skip
    _refused(city.post("/api/v1/topups", {"elder_id": elder.pk, "amount_fen": 100,
                       "note": "\u0000"}, content_type=json))  # fmt: skip
    _refused(city.post("/api/v1/meals/R1%00/refund", {"reason": "x"}, content_type=json))
    _refused(city.get("/api/v1/elders?status=%00"))
    _refused(city.get("/api/v1/elders?search=a%00b"))
    page = city.get("/bookings/?q=%E7%8E%8B%00")
    assert page.status_code == 400 and "NUL" in page.content.decode()
    assert CharityFund.objects.count() == 0 and AuditEvent.objects.count() == events
    # An escaped backslash followed by "u0000" is text, not a NUL.
    ok = city.post("/api/v1/charity/funds", {"name": "助餐\\u0000基金", "donor": "某企业"},
                   content_type=json)  # fmt: skip
    assert ok.status_code == 201, ok.content


@pytest.fixture
def counter_credential(make_canteen: Callable[..., Any], superuser: Any) -> str:
    canteen = make_canteen("330902002001")
    return terminal_create(actor=superuser, canteen=canteen, name="收银台").credential


def test_a_terminal_s_nul_is_refused_too(counter_credential: str) -> None:
    terminal = Client(HTTP_AUTHORIZATION=f"Bearer {counter_credential}")
    body = {"card": "ZS0000000001", "session": "lunch", "receipt_no": "R\u00001",
            "lines": [{"amount_fen": 1200, "label": "套餐\u0000"}]}  # fmt: skip
    _refused(terminal.post("/api/v1/checkout", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="k"))  # fmt: skip
    offline = {"sales": [{**body, "client_id": "c" * 12, "device_time": "2026-03-12T11:30:00"}]}
    _refused(terminal.post("/api/v1/terminal/offline-sales", offline,
                           content_type="application/json"))  # fmt: skip


def test_pages_beyond_any_list_are_malformed_not_a_crash(
    make_user: Callable[..., Any], signed_in: Callable[[Any], Client]
) -> None:
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    for query in ("offset=99999999999999999999", "limit=99999999999999999999",
                  "offset=-1", "limit=0"):  # fmt: skip
        for path in ("/api/v1/elders", "/api/v1/canteens", "/api/v1/regions"):
            response = city.get(f"{path}?{query}")
            assert response.status_code in (400, 422), (path, query, response.status_code)
            assert response.json()["error"]["code"] == "malformed_input"
    assert city.get("/api/v1/regions?limit=500").status_code == 200


def test_a_fund_name_taken_twice_is_a_conflict(
    make_user: Callable[..., Any], signed_in: Callable[[Any], Client]
) -> None:
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    fund = {"name": "爱心助餐基金", "donor": "某企业"}
    assert (
        city.post("/api/v1/charity/funds", fund, content_type="application/json").status_code == 201
    )
    again = city.post("/api/v1/charity/funds", fund, content_type="application/json")
    _refused(again, "fund_name_taken", 409)
    assert CharityFund.objects.count() == 1


@pytest.mark.parametrize(
    "content",
    [
        "姓名,身份证号,镇街道,村社区\n王\x00秀英,1,昌国街道,西安社区\n".encode(),
        ("姓名,身份证号,镇街道,村社区\n" + "王" * 200_000 + ",1,昌国街道,西安社区\n").encode(),
        ("姓名,身份证号,镇街道,村社区\n" + "王" * 600 + ",1,昌国街道,西安社区\n").encode(),
    ],
    ids=["nul-byte", "beyond-csv-limit", "overlong-cell"],
)
def test_a_damaged_register_file_is_refused_whole(
    make_user: Callable[..., Any], content: bytes
) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    with pytest.raises(ImportFileError) as refused:
        elders_import(actor=officer, handle=io.BytesIO(content), filename="名册.csv")
    assert refused.value.code in ("import_file_unreadable", "import_cell_invalid")
    assert refused.value.message_zh and refused.value.message_en
