"""事前: an application reviewed by the town, accepted on site by the district (the canteen
sells from then), recorded by the city with its construction subsidy's stages posted; sent back
and resubmitted; each step by its role. The licence's lapse stops the counter."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tongzhou.access.roles import Role
from tongzhou.bookings.tests.conftest import at
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import DomainError
from tongzhou.geo.models import Region
from tongzhou.ledger.models import Account, AccountKind, Entry
from tongzhou.ledger.services import ledger_check
from tongzhou.oversight.models import (
    Application,
    ApplicationStep,
    ConstructionSubsidy,
    KitchenStaff,
    StagePayment,
)
from tongzhou.oversight.services import (
    ChecklistPoint,
    StaffRow,
    application_accept,
    application_record,
    application_return,
    application_submit,
    application_town_pass,
    stages_release,
)

pytestmark = pytest.mark.django_db
VILLAGE = "330902002001"


def photo(name: str = "site.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def refused(work: Callable[[], Any]) -> str:
    with pytest.raises(DomainError) as caught:
        work()
    return caught.value.code


@pytest.fixture
def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "village": make_user(Role.VILLAGE_WORKER, region=VILLAGE),
        "town": make_user(Role.TOWN_OFFICER, region="330902002"),
        "district": make_user(Role.DISTRICT_OFFICER, region="330902"),
        "other_district": make_user(Role.DISTRICT_OFFICER, region="330903"),
        "city": make_user(Role.CITY_BUREAU, region="330900"),
    }


def new_application(**fields: Any) -> Application:
    village = Region.objects.get(code=VILLAGE)
    values: dict[str, Any] = {
        "operator_name": "西安社区股份经济合作社",
        "operator_kind": "village",
        "contact_name": "张主任",
        "contact_phone": "13800000000",
        "name": "西安社区幸福食堂",
        "kind": "happiness_canteen",
        "village": village,
        "address": "西安社区服务中心一楼",
        "lon": village.lon,
        "lat": village.lat,
        "seats": 40,
        "daily_capacity": 120,
        "sessions": ["lunch", "dinner"],
        "licence_no": "JY23309020012345",
        "licence_expires_on": dt.date(2030, 1, 1),
        "insurance_no": "PICC-2026-001",
        "insurance_expires_on": dt.date(2027, 6, 30),
    }
    return Application(**(values | fields))


STAFF = [StaffRow("李师傅", "厨师", "JK-001", dt.date(2027, 3, 1))]
ALL_MET = [ChecklistPoint("后厨布局合理、生熟分开", True), ChecklistPoint("留样冰箱", True)]


def test_an_application_goes_from_village_to_city_and_the_canteen_sells(
    people: dict[str, Any], now: Any
) -> None:
    ConstructionSubsidy.objects.create(
        kind="happiness_canteen",
        valid_from=dt.date(2026, 1, 1),
        amount_fen=10_000_001,  # 100,000.01 yuan: the stages still sum to the fen
        stages=[[0, 6000], [6, 4000]],
        city_share_bp=5000,
    )
    now(at(2026, 3, 2, 9))
    application = application_submit(
        actor=people["village"], application=new_application(), staff=STAFF,
        files=[("场地照片", photo())],
    )  # fmt: skip
    # Each step by its own level: not the district before the town, not the town twice.
    assert refused(
        lambda: application_accept(
            actor=people["district"], application_id=application.pk, checklist=ALL_MET,
            inspectors="王科长", photos=[photo()],
        )
    ) == "application_wrong_step"  # fmt: skip
    assert (
        refused(
            lambda: application_town_pass(actor=people["district"], application_id=application.pk)
        )
        == "permission_denied"
    )
    application_town_pass(actor=people["town"], application_id=application.pk, comment="材料齐全")
    assert (
        refused(
            lambda: application_town_pass(
                actor=people["other_district"], application_id=application.pk
            )
        )
        == "not_found"
    )
    # A point not met cannot be accepted; the district sends it back, the village corrects it.
    unmet = [ChecklistPoint("后厨布局合理、生熟分开", False, "生熟未分区"), *ALL_MET[1:]]
    assert refused(
        lambda: application_accept(
            actor=people["district"], application_id=application.pk, checklist=unmet,
            inspectors="王科长", photos=[photo()],
        )
    ) == "acceptance_points_unmet"  # fmt: skip
    application_return(
        actor=people["district"], application_id=application.pk, comment="生熟分区后再验收"
    )
    application.address = "西安社区服务中心一楼（已改造）"
    application_submit(actor=people["village"], application=application, staff=STAFF)
    application_town_pass(actor=people["town"], application_id=application.pk)
    application_accept(
        actor=people["district"], application_id=application.pk, checklist=ALL_MET,
        inspectors="王科长、市场监管所陈所长", photos=[photo("a.jpg"), photo("b.jpg")],
    )  # fmt: skip
    application.refresh_from_db()
    canteen = application.canteen
    assert canteen is not None and canteen.status == "open" and canteen.licence_no
    assert KitchenStaff.objects.filter(canteen=canteen).count() == 1
    assert [s.step for s in ApplicationStep.objects.filter(application=application)] == [
        "submit", "town_pass", "return", "submit", "town_pass", "accept",
    ]  # fmt: skip
    stages = list(StagePayment.objects.filter(application=application))
    assert [(s.amount_fen, s.due_on) for s in stages] == [
        (6_000_000, dt.date(2026, 3, 2)),
        (4_000_001, dt.date(2026, 9, 2)),
    ]
    # The city records it: the first stage is posted, balanced; the second waits its date.
    application_record(actor=people["city"], application_id=application.pk)
    receivable = Account.objects.get(kind=AccountKind.CANTEEN_RECEIVABLE, canteen=canteen)
    assert sum(e.amount_fen for e in Entry.objects.filter(account=receivable)) == 6_000_000
    assert stages_release(actor=people["city"], day=dt.date(2026, 9, 1)) == 0
    assert stages_release(actor=people["city"], day=dt.date(2026, 9, 2)) == 1
    assert sum(e.amount_fen for e in Entry.objects.filter(account=receivable)) == 10_000_001
    assert ledger_check() == []
    assert refused(lambda: stages_release(actor=people["district"])) == "permission_denied"


def test_papers_out_of_date_are_refused(people: dict[str, Any]) -> None:
    lapsed = new_application(licence_expires_on=dt.date(2020, 1, 1))
    assert (
        refused(
            lambda: application_submit(actor=people["village"], application=lapsed, staff=STAFF)
        )
        == "application_papers_expired"
    )
    old_cert = [StaffRow("李师傅", "厨师", "JK-001", dt.date(2020, 1, 1))]
    assert (
        refused(
            lambda: application_submit(
                actor=people["village"], application=new_application(), staff=old_cert
            )
        )
        == "health_certificate_expired"
    )
    assert (
        refused(
            lambda: application_submit(
                actor=people["district"], application=new_application(), staff=STAFF
            )
        )
        == "permission_denied"
    )
    assert (
        refused(
            lambda: application_submit(
                actor=people["village"], application=new_application(), staff=STAFF
            )
        )
        == "photo_required"
    )
    assert Application.objects.count() == 0


def test_a_canteen_sells_only_while_open_and_licensed(counter: Any, make_member: Any) -> None:
    from tongzhou.meals.tests.test_checkout import sell

    _elder, card = make_member()

    def sale(key: str) -> Any:
        return sell(counter, card, key=key, receipt=key)

    Canteen.objects.filter(pk=counter.canteen.pk).update(licence_expires_on=dt.date(2026, 3, 11))
    lapsed = sale("k1")
    assert lapsed.status_code == 409
    assert lapsed.json()["error"]["code"] == "canteen_licence_expired"
    assert "食品经营许可证已于2026年03月11日到期" in lapsed.json()["error"]["message_zh"]
    Canteen.objects.filter(pk=counter.canteen.pk).update(
        licence_expires_on=dt.date(2027, 3, 11), status="suspended", status_reason="食品安全追溯"
    )
    stopped = sale("k2")
    assert stopped.json()["error"]["code"] == "canteen_not_selling"
    assert "食品安全追溯" in stopped.json()["error"]["message_zh"]
    Canteen.objects.filter(pk=counter.canteen.pk).update(status="open")
    assert sale("k3").status_code == 201


def test_the_nightly_command_releases_stages_as_the_city(people: dict[str, Any], now: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("release_construction_stages", "--user", people["city"].username, stdout=out)
    assert out.getvalue().strip() == "0 stages released"
    with pytest.raises(CommandError):
        call_command("release_construction_stages", "--user", people["district"].username)
