import datetime as dt
import decimal
import json
import uuid
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.translation import gettext_lazy

from config.api import api
from tongzhou.access.roles import Role

pytestmark = pytest.mark.django_db


def test_openapi_document_lists_the_read_endpoints(make_user: Any) -> None:
    # Published to signed-in staff (or to all with TONGZHOU_PUBLIC_API_DOCS=1).
    for path in ("/api/v1/openapi.json", "/api/v1/docs"):
        assert Client().get(path).status_code == 302  # to the sign-in page
    staff = Client()
    staff.force_login(make_user(Role.DISTRICT_OFFICER, region="330902"))
    response = staff.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/islands",
        "/api/v1/canteens",
        "/api/v1/canteens/{canteen_id}",
        "/api/v1/elders",
        "/api/v1/elders/{elder_id}",
        "/api/v1/elders/export.csv",
    ):
        assert path in paths
    docs = staff.get("/api/v1/docs")
    assert docs.status_code == 200 and "cdn" not in docs.content.decode().lower()


def test_anonymous_callers_get_a_bilingual_error() -> None:
    body = Client().get("/api/v1/elders").json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["error"]["message_zh"] == "请先登录。"
    assert body["error"]["message_en"] == "Sign in first."


def test_regions_and_islands(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.AUDITOR, region="330922"))
    towns = client.get("/api/v1/regions", {"level": "town", "parent": "330922", "limit": 50}).json()
    assert towns["count"] == 7
    assert {t["island"] for t in towns["items"]} >= {"泗礁山", "嵊山岛", "枸杞岛"}
    village = client.get("/api/v1/regions/330903100276").json()
    assert (village["parent_code"], village["island"]) == ("330903100", "佛渡岛")
    assert client.get("/api/v1/regions/999").json()["error"]["code"] == "not_found"
    islands = client.get("/api/v1/islands").json()
    assert len(islands) == 53
    main = next(i for i in islands if i["name"] == "舟山本岛")
    assert main["county_code"] is None and main["has_town"]


def test_malformed_input_has_a_stable_code(superuser: Any) -> None:
    client = Client()
    client.force_login(superuser)
    response = client.get("/api/v1/elders/not-a-number")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_input"


def test_elder_search_and_language(superuser: Any, make_elder: Any) -> None:
    from tongzhou.core import crypto

    elder = make_elder("330902002001", name="方阿婆", phone="13800001111")
    client = Client()
    client.force_login(superuser)
    number = crypto.decrypt(elder.id_number_encrypted)
    found = client.get("/api/v1/elders", {"search": number}).json()
    assert [e["id"] for e in found["items"]] == [elder.pk]
    row = found["items"][0]
    assert row["phone_masked"] == "138****1111" and number not in str(row)
    assert row["age_band"] in {"60-69", "70-79", "80-89", "90+"}
    missing = client.get("/api/v1/elders/999999", HTTP_ACCEPT_LANGUAGE="en").json()
    assert missing["error"]["message"] == missing["error"]["message_en"]


def test_answers_render_as_django_would_in_utf_8() -> None:
    """The renderer writes with orjson but keeps the standard encoder's output: Django's
    format for dates and times, text unescaped, keys of any type as strings."""
    at = timezone.make_aware(dt.datetime(2026, 12, 2, 11, 30, 5, 123456))
    data = {
        "at": at,
        "utc": at.astimezone(dt.UTC),
        "day": at.date(),
        "time": dt.time(11, 30),
        "uuid": uuid.UUID(int=7),
        "amount": decimal.Decimal("3.50"),
        "text": gettext_lazy("Sign in first."),
        "name": "舟山 张三",
        "by_year": {2026: 1},
        "nested": [{"at": at, "fen": 400}],
    }
    rendered = api.renderer.render(RequestFactory().get("/"), data, response_status=200)
    expected = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    assert rendered.decode() == expected
    assert '"at":"2026-12-02T11:30:05.123+08:00"' in expected
    assert '"utc":"2026-12-02T03:30:05.123Z"' in expected and "舟山" in expected
