"""事中: the kitchen's day (晨检, 留样 kept 48 hours, 进货, 消毒 and temperatures) with what is
missing flagged; papers warned before they lapse; inspections with findings put right and
confirmed; one rating per meal; complaints answered; scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.bookings.tests.conftest import at
from tongzhou.canteens.models import Canteen
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.test_checkout import sell
from tongzhou.oversight import selectors
from tongzhou.oversight.models import FoodSample, KitchenStaff, MealRating
from tongzhou.oversight.services import (
    ChecklistPoint,
    FindingRow,
    complaint_answer,
    complaint_make,
    finding_confirm,
    finding_rectify,
    hygiene_record,
    inspection_record,
    meal_rate,
    morning_check_record,
    purchase_record,
    sample_discard,
    sample_record,
)
from tongzhou.oversight.tests.test_lifecycle import photo, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(counter: Any, make_user: Callable[..., Any]) -> dict[str, Any]:
    canteen = counter.canteen
    return {
        "canteen": canteen,
        "manager": make_user(Role.CANTEEN_MANAGER, canteen=canteen),
        "cook": KitchenStaff.objects.create(
            canteen=canteen, name="李师傅", job="厨师", health_cert_no="JK-1",
            health_cert_expires_on=dt.date(2026, 4, 1),
        ),
        "helper": KitchenStaff.objects.create(
            canteen=canteen, name="王阿姨", job="帮厨", health_cert_no="JK-2",
            health_cert_expires_on=dt.date(2027, 4, 1),
        ),
        "dish": counter.menu_item.dish,
        "town": make_user(Role.TOWN_OFFICER, region="330902002"),
        "other_town": make_user(Role.TOWN_OFFICER, region="330903001"),
        "village": make_user(Role.VILLAGE_WORKER, region="330902002001"),
    }  # fmt: skip


def test_a_kitchens_day_is_kept_and_what_is_missing_is_flagged(
    kitchen: dict[str, Any], lunch_time: Any
) -> None:
    canteen, manager = kitchen["canteen"], kitchen["manager"]
    day = dt.date(2026, 3, 12)
    sheet = selectors.day_sheet(canteen, day)
    assert sheet.missing == [
        "李师傅未晨检", "王阿姨未晨检", "午餐“荤素套餐”未留样", "餐具未记录消毒", "冰箱温度未记录",
    ]  # fmt: skip
    assert sheet.warnings == ["李师傅的健康证2026年04月01日即将到期"]
    fit = morning_check_record(
        actor=manager, canteen_id=canteen.pk, staff_id=kitchen["cook"].pk,
        temperature=Decimal("36.5"),
    )  # fmt: skip
    feverish = morning_check_record(
        actor=manager, canteen_id=canteen.pk, staff_id=kitchen["helper"].pk,
        temperature=Decimal("37.8"),
    )  # fmt: skip
    assert fit.fit and not feverish.fit
    assert refused(
        lambda: morning_check_record(
            actor=manager, canteen_id=canteen.pk, staff_id=kitchen["cook"].pk,
            temperature=Decimal("36.5"),
        )
    ) == "morning_check_done"  # fmt: skip
    args = {"actor": manager, "canteen_id": canteen.pk, "session": "lunch"}
    assert refused(
        lambda: sample_record(**args, dish_id=kitchen["dish"].pk, grams=100, photo=photo(),
                              taken_by="李师傅")
    ) == "sample_too_small"  # fmt: skip
    sample = sample_record(
        **args, dish_id=kitchen["dish"].pk, grams=150, photo=photo(), taken_by="李师傅"
    )
    assert sample.keep_until == at(2026, 3, 14, 11, 30)
    purchase_record(
        actor=manager, canteen_id=canteen.pk, supplier="定海农贸批发", goods="猪肉20斤",
        invoice_no="FP001", certificate_no="JY-88", photo=photo(),
    )  # fmt: skip
    hygiene_record(actor=manager, canteen_id=canteen.pk, kind="disinfection", method="高温蒸汽")
    warm = hygiene_record(
        actor=manager, canteen_id=canteen.pk, kind="fridge", reading=Decimal("11")
    )
    assert not warm.within_limits
    assert selectors.day_sheet(canteen, day).missing == []
    # Kept 48 hours: not discarded a minute early.
    lunch_time(at(2026, 3, 14, 11, 29))
    assert refused(lambda: sample_discard(actor=manager, sample_id=sample.pk)) == (
        "sample_keep_48_hours"
    )
    lunch_time(at(2026, 3, 14, 11, 30))
    assert list(selectors.samples_to_discard(canteen)) == [sample]
    sample_discard(actor=manager, sample_id=sample.pk)
    assert FoodSample.objects.get(pk=sample.pk).discarded_at is not None


def test_the_kitchen_keeps_its_staff_and_policy_data_is_checked(kitchen: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    from tongzhou.oversight.models import ConstructionSubsidy, StarPolicy
    from tongzhou.oversight.services import StaffRow, kitchen_staff_add, kitchen_staff_leave

    manager, canteen = kitchen["manager"], kitchen["canteen"]
    lapsed = StaffRow("赵阿姨", "帮厨", "JK-9", dt.date(2026, 3, 1))
    assert refused(
        lambda: kitchen_staff_add(actor=manager, canteen_id=canteen.pk, row=lapsed)
    ) == "health_certificate_expired"  # fmt: skip
    new = kitchen_staff_add(
        actor=manager,
        canteen_id=canteen.pk,
        row=StaffRow("赵阿姨", "", "JK-9", dt.date(2027, 3, 1)),
    )
    kitchen_staff_leave(actor=manager, staff_id=kitchen["cook"].pk)
    names = [
        person.name for person, _check in selectors.day_sheet(canteen, dt.date(2026, 3, 12)).staff
    ]
    assert names == ["王阿姨", "赵阿姨"] and new.job == "厨师"
    with pytest.raises(ValidationError):
        ConstructionSubsidy(kind="meal_point", valid_from=dt.date(2026, 1, 1), amount_fen=1,
                            stages=[[0, 6000], [6, 3000]]).clean()  # fmt: skip
    with pytest.raises(ValidationError):
        StarPolicy(valid_from=dt.date(2026, 1, 1), weights={"taste": 10}, bands=[[0, 1]],
                   subsidy_fen_by_star={"1": 0}).clean()  # fmt: skip
    with pytest.raises(ValidationError):
        StarPolicy(valid_from=dt.date(2026, 1, 1), weights={"ratings": 10}, bands=[[90, 5]],
                   subsidy_fen_by_star={"4": 100}).clean()  # fmt: skip


def test_records_stay_inside_their_canteen(
    kitchen: dict[str, Any], make_canteen: Callable[..., Canteen], make_user: Callable[..., Any]
) -> None:
    other = make_canteen("330902002001")
    stranger = make_user(Role.CANTEEN_MANAGER, canteen=other)
    assert refused(
        lambda: morning_check_record(
            actor=stranger, canteen_id=kitchen["canteen"].pk, staff_id=kitchen["cook"].pk,
            temperature=Decimal("36.5"),
        )
    ) == "not_found"  # fmt: skip
    assert refused(
        lambda: hygiene_record(actor=kitchen["town"], canteen_id=kitchen["canteen"].pk,
                               kind="disinfection", method="煮沸")
    ) == "permission_denied"  # fmt: skip


def test_an_inspection_finding_is_put_right_and_confirmed(
    kitchen: dict[str, Any], lunch_time: Any
) -> None:
    canteen, town = kitchen["canteen"], kitchen["town"]
    checklist = [
        ChecklistPoint("留样记录完整", True),
        ChecklistPoint("从业人员健康证在有效期内", False, "王阿姨健康证未随身"),
    ]
    assert refused(
        lambda: inspection_record(actor=town, canteen_id=canteen.pk, checklist=checklist,
                                  inspectors="镇民政办", findings=[])
    ) == "findings_missing"  # fmt: skip
    assert refused(
        lambda: inspection_record(actor=kitchen["other_town"], canteen_id=canteen.pk,
                                  checklist=checklist, inspectors="x", findings=[])
    ) == "not_found"  # fmt: skip
    inspection = inspection_record(
        actor=town, canteen_id=canteen.pk, checklist=checklist, inspectors="镇民政办 刘",
        findings=[FindingRow("健康证未公示", dt.date(2026, 3, 19), photo())],
        with_market_regulator=True,
    )  # fmt: skip
    assert (inspection.score, inspection.body) == (50, "market")
    finding = inspection.findings.get()
    assert list(selectors.findings_open(town)) == [finding]
    assert refused(
        lambda: finding_confirm(actor=town, finding_id=finding.pk, accept=True)
    ) == "finding_wrong_step"  # fmt: skip
    finding_rectify(
        actor=kitchen["manager"], finding_id=finding.pk, text="健康证已上墙公示", photo=photo()
    )
    finding_confirm(actor=town, finding_id=finding.pk, accept=False, comment="照片看不清")
    finding_rectify(actor=kitchen["manager"], finding_id=finding.pk, text="重新拍照", photo=photo())
    closed = finding_confirm(actor=town, finding_id=finding.pk, accept=True)
    assert closed.confirmed_at is not None and list(selectors.findings_open(town)) == []


def test_a_meal_is_rated_once_and_complaints_are_answered(
    kitchen: dict[str, Any], counter: Any, make_member: Any, lunch_time: Any
) -> None:
    from tongzhou.canteens.services import service_terminal

    elder, card = make_member()
    assert sell(counter, card).status_code == 201
    meal = Meal.objects.get(elder=elder)
    terminal = kitchen["canteen"].terminals.devices().get()
    rating = meal_rate(meal_id=meal.pk, stars=5, channel="counter", terminal=terminal)
    assert rating.stars == 5
    assert refused(
        lambda: meal_rate(meal_id=meal.pk, stars=1, channel="elder_page", elder_id=elder.pk)
    ) == "meal_rated"  # fmt: skip
    assert refused(
        lambda: meal_rate(meal_id=meal.pk, stars=9, channel="elder_page", elder_id=elder.pk)
    ) == "rating_invalid"  # fmt: skip
    # Another canteen's counter, or too late at the counter, cannot rate the meal.
    other = service_terminal(kitchen["canteen"], "管理后台")
    MealRating.objects.all().delete()
    other.canteen_id = 0
    assert refused(
        lambda: meal_rate(meal_id=meal.pk, stars=4, channel="counter", terminal=other)
    ) == "not_found"  # fmt: skip
    lunch_time(at(2026, 3, 12, 12, 31))
    assert refused(
        lambda: meal_rate(meal_id=meal.pk, stars=4, channel="counter", terminal=terminal)
    ) == "not_found"  # fmt: skip
    by_phone = meal_rate(meal_id=meal.pk, stars=3, channel="phone", actor=kitchen["village"])
    assert by_phone.channel == "phone"
    complaint = complaint_make(
        canteen_id=kitchen["canteen"].pk, text="菜太咸", channel="elder_page", elder_id=elder.pk
    )
    lunch_time(at(2026, 3, 14, 9))
    complaint_answer(
        actor=kitchen["manager"], complaint_id=complaint.pk, answer="已调整为少盐，欢迎再来"
    )
    voice = selectors.voice_of(kitchen["canteen"], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert (voice.ratings, voice.average, voice.complaints, voice.answered_in_time) == (
        1, 3.0, 1, 1,
    )  # fmt: skip


def test_the_elder_rates_a_meal_and_complains_on_their_own_page(
    counter: Any, make_member: Any, make_user: Callable[..., Any], lunch_time: Any
) -> None:
    from django.test import Client

    from tongzhou.oversight.models import Complaint
    from tongzhou.portal.services import grant_and_code

    elder, card = make_member(name="林阿婆")
    assert sell(counter, card).status_code == 201
    meal = Meal.objects.get(elder=elder)
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="林阿婆")
    phone = Client()
    phone.post("/me/login/", {"code": issued.code})
    page = phone.get("/me/rate/").content.decode()
    assert f'data-testid="rate-{meal.pk}"' in page and "今天" in page and "午餐" in page
    answer = phone.post("/me/rate/", {"meal": meal.pk, "stars": "3"}, follow=True)
    text = answer.content.decode()
    assert "谢谢您的评价：一般" in text and f'data-testid="rate-{meal.pk}"' not in text
    assert MealRating.objects.get().channel == "elder_page"
    # A second answer for the same meal is refused in words; nothing changes.
    again = phone.post("/me/rate/", {"meal": meal.pk, "stars": "5"}, follow=True)
    assert "已经评价过了" in again.content.decode() and MealRating.objects.get().stars == 3
    phone.post("/me/rate/", {"canteen": counter.canteen.pk, "complaint": "菜太咸了"})
    complaint = Complaint.objects.get()
    assert (complaint.elder_id, complaint.text, complaint.channel) == (
        elder.pk, "菜太咸了", "elder_page",
    )  # fmt: skip


def test_the_week_s_menus_are_published_and_shown_on_the_elder_s_page(
    counter: Any, make_member: Any, make_user: Callable[..., Any], lunch_time: Any
) -> None:
    import datetime as dt

    from django.test import Client

    from tongzhou.canteens.models import Menu, MenuItem
    from tongzhou.portal.services import grant_and_code

    canteen, dish = counter.canteen, counter.menu_item.dish
    dish.diet_tags = "低盐、软烂"
    dish.save()
    tomorrow = dt.date(2026, 3, 13)
    menu = Menu.objects.create(canteen=canteen, date=tomorrow, session="lunch")
    MenuItem.objects.create(menu=menu, dish=dish, price_fen=1200)
    sheet = selectors.day_sheet(canteen, dt.date(2026, 3, 12))
    # The canteen serves lunch: six of the next seven lunches still have no menu.
    assert len(sheet.menu_gaps) == 6 and (tomorrow, "lunch") not in sheet.menu_gaps
    assert sheet.menu_gaps_text == "03月14日午餐、03月15日午餐、03月16日午餐、03月17日午餐等6餐"
    elder, card = make_member(name="林阿婆")
    assert sell(counter, card).status_code == 201
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="林阿婆")
    phone = Client()
    phone.post("/me/login/", {"code": issued.code})
    page = phone.get("/me/menu/").content.decode()
    assert canteen.name in page and "明天" in page and "荤素套餐" in page and "低盐、软烂" in page
