"""The pages: the kitchen's tablet page records a morning (and in a real browser on a tablet),
the district accepts an application on its page, an official opens a trace from a canteen's
page and records the call round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.oversight.models import Application, KitchenStaff, MorningCheck, TraceCase
from tongzhou.oversight.services import application_submit, application_town_pass
from tongzhou.oversight.tests.test_lifecycle import STAFF, new_application, photo

pytestmark = pytest.mark.django_db


def test_the_kitchen_page_records_a_morning(
    counter: Any, make_user: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    canteen = counter.canteen
    manager = make_user(Role.CANTEEN_MANAGER, canteen=canteen)
    cook = KitchenStaff.objects.create(
        canteen=canteen, name="李师傅", job="厨师", health_cert_no="JK-1",
        health_cert_expires_on=dt.date(2027, 1, 1),
    )  # fmt: skip
    page = signed_in(manager)
    text = page.get("/oversight/kitchen/").content.decode()
    assert "李师傅未晨检" in text and "午餐“荤素套餐”未留样" in text
    answer = page.post(
        "/oversight/kitchen/", {"form": "check", "staff": cook.pk, "temperature": "38.1"},
        follow=True,
    )  # fmt: skip
    assert "不宜上岗" in answer.content.decode() or "not fit" in answer.content.decode()
    assert MorningCheck.objects.get().fit is False
    page.post(
        "/oversight/kitchen/",
        {"form": "sample", "session": "lunch", "dish": counter.menu_item.dish.pk, "grams": "130",
         "taken_by": "李师傅", "photo": photo()},
    )  # fmt: skip
    page.post("/oversight/kitchen/", {"form": "hygiene", "kind": "disinfection", "method": "蒸汽"})
    page.post("/oversight/kitchen/", {"form": "hygiene", "kind": "fridge", "reading": "4"})
    assert "今日台账已记录完整" in page.get("/oversight/kitchen/").content.decode()
    # A town officer has no kitchen page; another canteen's manager sees only their own.
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    assert signed_in(town).get("/oversight/kitchen/").status_code == 404


def test_the_district_accepts_on_its_page_and_a_trace_is_opened(
    make_user: Callable[..., Any], signed_in: Callable[[Any], Any], now: Any
) -> None:
    from tongzhou.bookings.tests.conftest import at

    now(at(2026, 3, 2, 9))
    village = make_user(Role.VILLAGE_WORKER, region="330902002001")
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    application = application_submit(
        actor=village, application=new_application(), staff=STAFF, files=[("场地", photo())]
    )
    application_town_pass(actor=town, application_id=application.pk)
    page = signed_in(district)
    assert "西安社区幸福食堂" in page.get("/oversight/").content.decode()
    form = page.get(f"/oversight/applications/{application.pk}/").content.decode()
    assert 'data-testid="district-step"' in form
    fields: dict[str, Any] = {f"met_{n}": "1" for n in range(8)}
    fields |= {"step": "accept", "inspectors": "王科长", "photos": [photo()]}
    page.post(f"/oversight/applications/{application.pk}/", fields)
    application = Application.objects.get()
    assert application.status == "accepted" and application.canteen is not None
    # The town sees no step of the district's on the page.
    assert (
        'data-testid="district-step"'
        not in signed_in(town).get(f"/oversight/applications/{application.pk}/").content.decode()
    )
    answer = page.post(
        f"/oversight/canteens/{application.canteen.pk}/",
        {"form": "trace", "day": "2026-03-02", "reason": "老人反映不适", "stop_canteen": "1"},
    )
    case = TraceCase.objects.get()
    assert answer["Location"] == f"/oversight/traces/{case.pk}/"
    assert "0" in page.get(answer["Location"]).content.decode()


def test_the_village_enters_an_application_on_its_page(
    make_user: Callable[..., Any], signed_in: Callable[[Any], Any], now: Any
) -> None:
    from tongzhou.bookings.tests.conftest import at
    from tongzhou.geo.models import Region

    now(at(2026, 3, 2, 9))
    village = make_user(Role.VILLAGE_WORKER, region="330902002001")
    page = signed_in(village)
    form = page.get("/oversight/applications/new/").content.decode()
    assert 'data-testid="application-form"' in form and "西安社区" in form
    fields: dict[str, Any] = {
        "operator_name": "西安社区股份经济合作社", "operator_kind": "village",
        "contact_name": "张主任", "contact_phone": "13800000000", "name": "西安社区幸福食堂",
        "kind": "happiness_canteen", "village": Region.objects.get(code="330902002001").pk,
        "address": "服务中心一楼", "seats": "40", "daily_capacity": "120",
        "sessions": ["lunch", "dinner"], "licence_no": "JY123", "licence_expires_on": "2030-01-01",
        "insurance_no": "PICC-1", "insurance_expires_on": "2027-01-01",
        "staff_name_0": "李师傅", "staff_job_0": "厨师", "staff_cert_0": "JK-1",
        "staff_until_0": "2027-01-01",
    }  # fmt: skip
    # Without a photo of the site it is refused in words, and what was typed stays.
    refused = page.post("/oversight/applications/new/", fields).content.decode()
    assert "请上传场地照片" in refused and 'value="西安社区幸福食堂"' in refused
    answer = page.post("/oversight/applications/new/", fields | {"photos": [photo()]})
    application = Application.objects.get()
    assert answer["Location"] == f"/oversight/applications/{application.pk}/"
    assert (application.status, application.sessions) == ("submitted", ["lunch", "dinner"])
    assert application.staff.get().name == "李师傅" and application.files.count() == 1
    # A district officer has no application form (the village or town enters it).
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    assert signed_in(district).get("/oversight/applications/new/").status_code == 404


def test_a_worker_takes_a_rating_and_a_complaint_by_phone(
    counter: Any, make_member: Any, make_user: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    from tongzhou.meals.models import Meal
    from tongzhou.meals.tests.test_checkout import sell
    from tongzhou.oversight.models import Complaint, MealRating

    elder, card = make_member(name="陈阿公")
    assert sell(counter, card).status_code == 201
    meal = Meal.objects.get()
    worker = signed_in(make_user(Role.VILLAGE_WORKER, region="330902002001"))
    assert 'data-testid="rate-link"' in worker.get(f"/bookings/elder/{elder.pk}/").content.decode()
    page = worker.get(f"/oversight/elders/{elder.pk}/meals/").content.decode()
    assert f'data-testid="phone-rate-{meal.pk}"' in page
    worker.post(f"/oversight/elders/{elder.pk}/meals/", {"meal": meal.pk, "stars": "1"})
    worker.post(
        f"/oversight/elders/{elder.pk}/meals/",
        {"canteen": counter.canteen.pk, "complaint": "饭是凉的"},
    )
    assert (MealRating.objects.get().stars, MealRating.objects.get().channel) == (1, "phone")
    assert Complaint.objects.get().channel == "phone"
    # Another village's worker cannot reach this elder.
    stranger = signed_in(make_user(Role.VILLAGE_WORKER, region="330903001001"))
    assert stranger.get(f"/oversight/elders/{elder.pk}/meals/").status_code == 404
