import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.elders.models import Category, Elder
from tongzhou.geo.models import Region

pytestmark = pytest.mark.django_db


def test_village_worker_registers_an_elder_in_the_back_office(
    make_user: Any, id_number: Any, signed_in: Any
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    client = signed_in(worker)
    form = client.get("/admin/elders/elder/add/").content.decode()
    residence_select = form.split('name="residence"')[1].split("</select>")[0]
    assert "身份证号" in form and "西安社区居委会" in residence_select
    # Only villages inside the worker's area are offered as a residence.
    assert "新街社区居委会" not in residence_select
    number = id_number()
    response = client.post(
        "/admin/elders/elder/add/",
        {
            "name": "蔡阿婆",
            "id_number": number,
            "phone": "13800002222",
            "residence": Region.objects.get(code="330902002001").pk,
            "living_arrangement": "alone",
            "categories": [Category.objects.get(code="living_alone").pk],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    elder = Elder.objects.get(name="蔡阿婆")
    assert elder.memberships.get().category.code == "living_alone"
    assert AuditEvent.objects.filter(action="elder.create", actor=worker).exists()
    duplicate = client.post(
        "/admin/elders/elder/add/",
        {
            "name": "重复",
            "id_number": number,
            "residence": Region.objects.get(code="330902002001").pk,
            "living_arrangement": "alone",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert duplicate.status_code == 200
    assert "该身份证号已登记" in duplicate.content.decode()
    assert Elder.objects.count() == 1


def test_import_page_reports_rows(make_user: Any, id_number: Any, signed_in: Any) -> None:
    client = signed_in(make_user(Role.TOWN_OFFICER, region="330902002"))
    body = (
        "姓名,身份证号,镇街道,村社区\n"
        f"甲,{id_number()},昌国街道,西安社区\n"
        "乙,123,昌国街道,西安社区\n"
    )
    upload = SimpleUploadedFile("名册.csv", body.encode("utf-8-sig"), content_type="text/csv")
    page = client.post("/admin/elders/elder/import/", {"file": upload}).content.decode()
    assert "共 2 行：导入 1 行，1 行有错误未导入。" in page
    assert "id_number_length" in page
    cashier_page = signed_in(make_user(Role.AUDITOR, region="330900")).post(
        "/admin/elders/elder/import/", {"file": io.BytesIO(b"")}
    )
    assert cashier_page.status_code == 403


def test_reveal_page_is_audited(make_user: Any, make_elder: Any, signed_in: Any) -> None:
    elder = make_elder("330902002001")
    client = signed_in(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    page = client.post(f"/admin/elders/elder/{elder.pk}/reveal/", {"reason": "核对身份"})
    assert page.status_code == 200
    assert (
        elder.id_number_masked not in page.content.decode().split('data-testid="full-id">')[1][:18]
    )
    assert AuditEvent.objects.filter(action="elder.reveal").count() == 1


def test_a_replacement_card_keeps_the_person_and_blocks_the_old_one(
    make_user: Any, make_elder: Any, signed_in: Any
) -> None:
    from tongzhou.identity.models import Card
    from tongzhou.identity.services import IdentityError, elder_by_card

    elder = make_elder("330902002001")
    client = signed_in(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    first = client.post(f"/admin/elders/elder/{elder.pk}/card/", {"number": "ZS0000000001"})
    assert 'data-testid="card-issued"' in first.content.decode()
    client.post(f"/admin/elders/elder/{elder.pk}/card/", {"number": "ZS0000000002"})
    assert elder_by_card("ZS0000000002")[1] == elder
    with pytest.raises(IdentityError) as refused:
        elder_by_card("ZS0000000001")
    assert refused.value.code == "card_blocked"
    assert list(
        Card.objects.filter(elder=elder).values_list("status", flat=True).order_by("pk")
    ) == [
        "replaced",
        "active",
    ]


def test_printed_code_card_issue_and_revoke(
    make_user: Any, make_elder: Any, signed_in: Any
) -> None:
    from tongzhou.identity.services import IdentityError, resolve_credential

    elder = make_elder("330902002001")
    client = signed_in(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    page = client.post(f"/admin/elders/elder/{elder.pk}/code-card/", {"action": "issue"})
    text = page.content.decode()
    assert 'data-testid="code-card"' in text and "<svg" in text
    from tongzhou.identity import qr
    from tongzhou.identity.models import QrIdentity

    identity = QrIdentity.objects.get(elder=elder)
    key = qr.elder_key(qr.server_secret(), identity.token, identity.key_version)
    code = qr.printed_code(key, identity.token, identity.printed_version)
    assert resolve_credential(code).elder == elder
    client.post(f"/admin/elders/elder/{elder.pk}/code-card/", {"action": "revoke"})
    with pytest.raises(IdentityError) as refused:
        resolve_credential(code)
    assert refused.value.code == "qr_revoked"
