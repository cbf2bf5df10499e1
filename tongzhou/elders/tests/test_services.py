import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core import clock, crypto
from tongzhou.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongzhou.elders import services
from tongzhou.elders.models import Category, Elder, ElderStatus
from tongzhou.elders.selectors import elder_list, memberships_valid_on
from tongzhou.geo.models import Region

pytestmark = pytest.mark.django_db
XIAN = "330902002001"  # 定海区 昌国街道 西安社区
SHENJIAMEN = "330903001001"


def test_create_stores_identifiers_encrypted_hashed_and_masked(
    make_user: Callable[..., Any], id_number: Callable[..., str]
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region=XIAN)
    number = id_number(dt.date(1944, 3, 9), male=False)
    elder = services.elder_create(
        actor=worker,
        data=services.ElderInput(
            name="林阿婆",
            id_number=number,
            residence=Region.objects.get(code=XIAN),
            phone="13812345678",
            categories=[Category.objects.get(code="living_alone")],
        ),
    )
    elder.refresh_from_db()
    assert (elder.gender, elder.birth_date) == ("F", dt.date(1944, 3, 9))
    assert elder.id_number_masked == number[:6] + "********" + number[-4:]
    assert number not in elder.id_number_encrypted
    assert crypto.decrypt(elder.id_number_encrypted) == number
    assert elder.phone_masked == "138****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        raw_row = " ".join(str(v) for v in cursor.fetchone())
    assert number not in raw_row and "13812345678" not in raw_row
    event = AuditEvent.objects.get(action="elder.create", object_id=str(elder.pk))
    assert event.actor == worker
    assert event.after["categories"] == ["living_alone"]
    assert number not in str(event.after)
    codes = [m.category.code for m in memberships_valid_on(elder=elder, day=clock.today())]
    assert codes == ["living_alone"]


def test_exact_lookup_by_id_number(make_elder: Callable[..., Any], superuser: Any) -> None:
    elder = make_elder(XIAN, name="赵大爷")
    make_elder(XIAN, name="钱大爷")
    number = crypto.decrypt(elder.id_number_encrypted)
    assert list(elder_list(actor=superuser, search=number)) == [elder]
    assert list(elder_list(actor=superuser, search="赵")) == [elder]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("id_number", "330902195005011235", "id_number_check_digit"),
        ("phone", "12345", "phone_invalid"),
        ("name", "   ", "name_invalid"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    make_user: Callable[..., Any], id_number: Callable[..., str], field: str, value: str, code: str
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region=XIAN)
    data = {"name": "孙大爷", "id_number": id_number(), "phone": "", field: value}
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.elder_create(
            actor=worker,
            data=services.ElderInput(residence=Region.objects.get(code=XIAN), **data),
        )
    assert caught.value.code == code
    assert Elder.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_duplicate_person_is_refused(
    make_elder: Callable[..., Any], id_number: Callable[..., str]
) -> None:
    number = id_number()
    make_elder(XIAN, id_number=number)
    with pytest.raises(ValidationFailed) as caught:
        make_elder(XIAN, id_number=number.lower() if number[-1] == "X" else number)
    assert caught.value.code == "elder_duplicate"
    assert Elder.objects.count() == 1


def test_worker_cannot_register_outside_their_village(
    make_user: Callable[..., Any], id_number: Callable[..., str]
) -> None:
    worker = make_user(Role.VILLAGE_WORKER, region=XIAN)
    with pytest.raises(ValidationFailed) as caught:
        services.elder_create(
            actor=worker,
            data=services.ElderInput(
                name="周大爷", id_number=id_number(), residence=Region.objects.get(code=SHENJIAMEN)
            ),
        )
    assert caught.value.code == "residence_out_of_scope"


def test_update_records_before_and_after(
    make_elder: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    elder = make_elder(XIAN, name="吴大爷")
    officer = make_user(Role.TOWN_OFFICER, region="330902002")
    services.elder_update(
        actor=officer, elder=elder, changes={"name": "吴老伯", "phone": "13900001111"}
    )
    event = AuditEvent.objects.filter(action="elder.update").latest("id")
    assert event.before == {"name": "吴大爷", "phone_masked": ""}
    assert event.after == {"name": "吴老伯", "phone_masked": "139****1111"}
    with pytest.raises(ValidationFailed) as caught:
        services.elder_update(
            actor=officer, elder=elder, changes={"birth_date": dt.date(1960, 1, 1)}
        )
    assert caught.value.code == "field_not_editable"


def test_status_death_needs_a_date_and_is_kept(
    make_elder: Callable[..., Any], superuser: Any
) -> None:
    elder = make_elder(XIAN)
    with pytest.raises(ValidationFailed):
        services.elder_set_status(actor=superuser, elder=elder, status=ElderStatus.DECEASED)
    services.elder_set_status(
        actor=superuser, elder=elder, status=ElderStatus.DECEASED, on=dt.date(2025, 6, 1)
    )
    elder.refresh_from_db()
    assert (elder.status, elder.died_on) == ("deceased", dt.date(2025, 6, 1))


def test_categories_have_validity_dates_and_no_overlap(
    make_elder: Callable[..., Any], superuser: Any
) -> None:
    elder = make_elder(XIAN)
    dibao = Category.objects.get(code="dibao")
    membership = services.membership_add(
        actor=superuser, elder=elder, category=dibao, valid_from=dt.date(2024, 1, 1)
    )
    with pytest.raises(ValidationFailed) as caught:
        services.membership_add(
            actor=superuser, elder=elder, category=dibao, valid_from=dt.date(2024, 6, 1)
        )
    assert caught.value.code == "membership_overlap"
    services.membership_end(actor=superuser, membership=membership, valid_to=dt.date(2024, 12, 31))
    assert memberships_valid_on(elder=elder, day=dt.date(2024, 12, 31))[0].category == dibao
    assert memberships_valid_on(elder=elder, day=dt.date(2025, 1, 1)) == []
    services.membership_add(
        actor=superuser, elder=elder, category=dibao, valid_from=dt.date(2025, 3, 1)
    )
    assert elder.memberships.count() == 2


def test_reveal_needs_the_role_a_reason_and_is_logged(
    make_elder: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    elder = make_elder(XIAN, phone="13812345678")
    worker = make_user(Role.VILLAGE_WORKER, region=XIAN)
    auditor = make_user(Role.AUDITOR, region="330900")
    outsider = make_user(Role.DISTRICT_OFFICER, region="330903")
    with pytest.raises(PermissionDenied):
        services.elder_reveal(actor=auditor, elder=elder, reason="check")
    with pytest.raises(NotFound):
        services.elder_reveal(actor=outsider, elder=elder, reason="check")
    with pytest.raises(ValidationFailed):
        services.elder_reveal(actor=worker, elder=elder, reason=" ")
    revealed = services.elder_reveal(actor=worker, elder=elder, reason="办理助餐卡")
    assert revealed.id_number == crypto.decrypt(elder.id_number_encrypted)
    assert revealed.phone == "13812345678"
    event = AuditEvent.objects.get(action="elder.reveal")
    assert (event.actor, event.after) == (worker, {"reason": "办理助餐卡"})
