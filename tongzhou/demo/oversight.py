"""The demo's canteen oversight: construction subsidy rules (demo figures, not the bureau's),
licences and kitchen staff for every canteen (one certificate and one licence close to lapsing),
today's records half kept at 昌国街道幸福食堂, an inspection finding to put right, ratings of
last month's meals, and two applications: one waiting for 昌国街道, one for 定海区's inspection."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tongzhou.accounts.models import User
from tongzhou.canteens.models import Canteen, MenuItem
from tongzhou.canteens.services import terminal_create
from tongzhou.core import clock, periods
from tongzhou.geo.models import Region
from tongzhou.meals.models import Meal, MealStatus
from tongzhou.oversight.models import (
    Application,
    ConstructionSubsidy,
    KitchenStaff,
    MealRating,
    StarPolicy,
)
from tongzhou.oversight.services import (
    ChecklistPoint,
    FindingRow,
    StaffRow,
    application_accept,
    application_record,
    application_submit,
    application_town_pass,
    evaluations_run,
    hygiene_record,
    inspection_record,
    morning_check_record,
    sample_record,
)

# The district's acceptance checklist as the demo's inspectors go through it.
ACCEPTANCE_POINTS = ["后厨布局合理、生熟分开", "留样冰箱专用", "消毒设施正常", "明厨亮灶"]
COOKS = ["李师傅", "王阿姨", "陈师傅", "张阿姨", "刘师傅"]


def _photo(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (210, 200, 180)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _application(village_code: str, name: str, kind: str, seats: int) -> Application:
    village = Region.objects.get(code=village_code)
    assert village.lon is not None and village.lat is not None
    today = clock.today()
    return Application(
        operator_name=f"{village.name}股份经济合作社",
        operator_kind="village",
        contact_name="周主任",
        contact_phone="13900000000",
        name=name,
        kind=kind,
        village=village,
        address=f"{village.name}居家养老服务中心一楼",
        lon=village.lon,
        lat=village.lat,
        seats=seats,
        daily_capacity=max(seats * 2, 60),
        sessions=["lunch", "dinner"],
        licence_no=f"JY2330902{village.code[-6:]}",
        licence_expires_on=today.replace(year=today.year + 5),
        insurance_no=f"PICC-{today.year}-{village.code[-4:]}",
        insurance_expires_on=today.replace(year=today.year + 1),
    )


def build_oversight(
    rng: random.Random, menus: Callable[[random.Random, list[Canteen]], None]
) -> list[tuple[str, str]]:
    """Returns the credential of the counter of the canteen the demo takes from application
    to selling (`menus` gives it the week's dishes as the other canteens have)."""
    today = clock.today()
    start = today.replace(month=1, day=1)
    for kind, amount, stages in (
        ("happiness_canteen", 10_000_000, [[0, 6000], [12, 4000]]),
        ("meal_point", 3_000_000, [[0, 10000]]),
        ("central_kitchen", 30_000_000, [[0, 6000], [12, 4000]]),
    ):
        ConstructionSubsidy.objects.get_or_create(
            kind=kind,
            valid_from=start,
            defaults={"amount_fen": amount, "stages": stages, "source": "演示数据，非本局标准"},
        )
    canteens = list(Canteen.objects.order_by("code"))
    for number, canteen in enumerate(canteens):
        lapses = today + dt.timedelta(days=25 if number == 1 else 400 + number * 30)
        Canteen.objects.filter(pk=canteen.pk).update(
            licence_no=f"JY2{canteen.code[-3:]}3309{number:05d}", licence_expires_on=lapses
        )
        KitchenStaff.objects.bulk_create(
            KitchenStaff(
                canteen=canteen,
                name=name,
                job="厨师" if n == 0 else "帮厨",
                health_cert_no=f"JK{number:02d}{n:03d}",
                health_cert_expires_on=today
                + dt.timedelta(days=20 if (number, n) == (0, 2) else 200 + 40 * n),
            )
            for n, name in enumerate(COOKS[: 3 + number % 2])
        )
    manager = User.objects.get(username="canteen1")
    first = canteens[0]
    staff = list(KitchenStaff.objects.filter(canteen=first))
    for person, temperature in zip(staff[:2], ("36.4", "36.7"), strict=True):
        morning_check_record(
            actor=manager, canteen_id=first.pk, staff_id=person.pk, temperature=Decimal(temperature)
        )
    lunch = MenuItem.objects.filter(menu__canteen=first, menu__date=today, menu__session="lunch")
    for item in lunch.select_related("dish")[:2]:
        sample_record(
            actor=manager,
            canteen_id=first.pk,
            session="lunch",
            dish_id=item.dish_id,
            grams=150,
            photo=_photo("sample.jpg"),
            taken_by=staff[0].name,
        )
    hygiene_record(actor=manager, canteen_id=first.pk, kind="disinfection", method="高温蒸汽消毒柜")
    town = User.objects.get(username="changguo")
    inspection_record(
        actor=town,
        canteen_id=first.pk,
        checklist=[
            ChecklistPoint("留样记录完整", True),
            ChecklistPoint("从业人员健康证在有效期内并公示", False, "健康证未上墙公示"),
        ],
        inspectors="昌国街道民政办 吴",
        findings=[FindingRow("健康证未上墙公示", today + dt.timedelta(days=7), _photo("f.jpg"))],
    )
    # Ratings of some of last month's meals, as elders gave them at the counter or by phone.
    month_ago = today - dt.timedelta(days=30)
    meals = list(
        Meal.objects.filter(status=MealStatus.COMPLETED, business_date__gte=month_ago)
        .order_by("pk")
        .values_list("pk", "canteen_id", "elder_id", "business_date")[:400]
    )
    MealRating.objects.bulk_create(
        MealRating(
            meal_id=pk,
            canteen_id=canteen_id,
            elder_id=elder_id,
            day=day,
            stars=rng.choices([5, 4, 3, 2], weights=[6, 3, 1, 0.3])[0],
            channel=rng.choice(["counter", "counter", "phone"]),
        )
        for pk, canteen_id, elder_id, day in meals
        if rng.random() < 0.3
    )
    # Two applications on their way: one for the town's review, one for the district's visit.
    xian, changguo = User.objects.get(username="xian"), town
    cooks = [StaffRow("赵师傅", "厨师", "JK-NEW-1", today + dt.timedelta(days=300))]
    application_submit(
        actor=xian,
        application=_application("330902002001", "西安社区老年食堂", "meal_point", 30),
        staff=cooks,
        files=[("场地照片", _photo("site.jpg"))],
    )
    waiting = application_submit(
        actor=xian,
        application=_application(
            "330902002001", "西安社区幸福食堂（二期）", "happiness_canteen", 40
        ),
        staff=cooks,
        files=[("场地照片", _photo("site2.jpg"))],
    )
    application_town_pass(actor=changguo, application_id=waiting.pk, comment="材料齐全，请区里验收")
    StarPolicy.objects.get_or_create(
        valid_from=start,
        defaults={
            "weights": {
                "ratings": 30,
                "complaints": 15,
                "inspections": 25,
                "records": 20,
                "settlement": 10,
            },
            "bands": [[90, 5], [80, 4], [70, 3], [60, 2], [0, 1]],
            "rectify_below": 60,
            "subsidy_fen_by_star": {"5": 400, "4": 300, "3": 200, "2": 100, "1": 0},
            "source": "演示数据，非本局标准",
        },
    )
    evaluations_run(
        actor=User.objects.get(username="city"), period_id=periods.period_of("half", today)
    )
    # One canteen all the way: applied for, reviewed, accepted on site, recorded, selling.
    district, city = User.objects.get(username="dinghai"), User.objects.get(username="city")
    walked = application_submit(
        actor=xian,
        application=_application("330902002001", "西安社区助餐点", "meal_point", 24),
        staff=[StaffRow("钱阿姨", "厨师", "JK-NEW-2", today + dt.timedelta(days=330))],
        files=[("场地照片", _photo("site3.jpg"))],
    )
    application_town_pass(actor=changguo, application_id=walked.pk, comment="同意上报")
    application_accept(
        actor=district,
        application_id=walked.pk,
        checklist=[ChecklistPoint(point, True) for point in ACCEPTANCE_POINTS],
        inspectors="定海区民政局 王科长，市场监管所 陈所长",
        photos=[_photo("accept.jpg")],
        comment="验收合格",
    )
    application_record(actor=city, application_id=walked.pk, comment="同意备案")
    walked.refresh_from_db()
    assert walked.canteen is not None
    menus(rng, [walked.canteen])
    issued = terminal_create(actor=district, canteen=walked.canteen, name="收银台1")
    return [(str(issued.terminal), issued.credential)]
