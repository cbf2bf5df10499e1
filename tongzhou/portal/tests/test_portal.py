import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core.errors import NotFound
from tongzhou.identity.services import qr_current_code, qr_identity_for
from tongzhou.portal.services import grant_and_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def test_worker_gives_a_code_and_the_elder_sees_their_page(
    make_user: Any, make_elder: Any, make_canteen: Any
) -> None:
    make_canteen("330902002002")
    make_canteen("330922100001")  # 嵊泗: far away
    elder = make_elder("330902002001", name="林阿婆")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="林阿婆")
    phone = Client()
    page = phone.post("/me/login/", {"code": issued.code}, follow=True).content.decode()
    assert "林*婆，您好" in page and "个人余额 0.00 元" in page
    code = phone.get("/me/code/").content.decode()
    assert 'data-testid="qr"' in code and "<svg" in code
    meals = phone.get("/me/meals/").content.decode()
    assert "个人余额" in meals
    assert re.search(r"测试食堂\d+</strong> · [\d.]+ km", meals)  # nearby canteens, distance
    qr = phone.get("/me/qr.json").json()
    assert qr["code"] == qr_current_code(qr_identity_for(elder))
    # The code was for one use only.
    assert Client().post("/me/login/", {"code": issued.code}).status_code == 403
    assert AuditEvent.objects.filter(action="portal.grant").exists()


def test_codes_expire_are_rate_limited_and_scoped(
    make_user: Any, make_elder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tongzhou.core import clock

    elder = make_elder("330902002001")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="family", holder_name="女儿")
    later = clock.now() + dt.timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert Client().post("/me/login/", {"code": issued.code}).status_code == 403
    monkeypatch.undo()
    guesser = Client()
    for _ in range(5):
        guesser.post("/me/login/", {"code": "00000000"})
    fresh = grant_and_code(actor=worker, elder=elder, kind="family", holder_name="儿子")
    blocked = guesser.post("/me/login/", {"code": fresh.code})
    assert blocked.status_code == 403 and "尝试次数过多" in blocked.content.decode()
    outsider = make_user(Role.VILLAGE_WORKER, region="330903001001")
    with pytest.raises(NotFound):
        grant_and_code(actor=outsider, elder=elder, kind="self", holder_name="x")


def test_a_family_member_is_linked_from_the_page(make_user: Any, make_elder: Any) -> None:
    elder = make_elder("330902002001")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="本人")
    phone = Client()
    phone.post("/me/login/", {"code": issued.code})
    page = phone.post("/me/family/", {"name": "孙女"}, follow=True).content.decode()
    code = re.search(r"\d{8}", page.split('data-testid="family-code">')[1]).group(0)
    daughter = Client()
    assert daughter.post("/me/login/", {"code": code}).status_code == 302
    assert Client().get("/me/").status_code == 302  # signed out visitors go to the code form


def test_the_worker_issues_a_code_in_the_back_office(make_user: Any, make_elder: Any) -> None:
    elder = make_elder("330902002001")
    worker = Client()
    worker.force_login(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    page = worker.post(
        f"/admin/elders/elder/{elder.pk}/page-access/", {"kind": "family", "holder_name": "儿子"}
    ).content.decode()
    code = re.search(r"<strong>(\d{8})</strong>", page).group(1)
    assert Client().post("/me/login/", {"code": code}).status_code == 302


def test_the_link_signs_in_directly(make_user: Any, make_elder: Any) -> None:
    elder = make_elder("330902002001")
    issued = grant_and_code(
        actor=make_user(Role.VILLAGE_WORKER, region="330902002001"),
        elder=elder,
        kind="self",
        holder_name="本人",
    )
    phone = Client()
    preview = phone.get(f"/me/login/?code={issued.code}")  # what a link preview would fetch
    assert preview.status_code == 200 and f'value="{issued.code}"' in preview.content.decode()
    assert phone.post("/me/login/", {"code": issued.code}).status_code == 302
    assert phone.get("/me/").status_code == 200


def test_revoking_access_ends_the_session_at_once(make_user: Any, make_elder: Any) -> None:
    elder = make_elder("330902002001")
    worker_user = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker_user, elder=elder, kind="family", holder_name="前女婿")
    phone = Client()
    phone.post("/me/login/", {"code": issued.code})
    assert phone.get("/me/").status_code == 200
    worker = Client()
    worker.force_login(worker_user)
    worker.post(f"/admin/elders/elder/{elder.pk}/page-access/", {"revoke": issued.grant.pk})
    assert phone.get("/me/").status_code == 302
    assert AuditEvent.objects.filter(action="portal.revoke").exists()
