"""The demo's service network: home-care centres in most villages of the main and central
islands (some serving meals or medical help, eleven with an intelligent service terminal),
幸福驿家 on some outer islands (operating, being built, planned), compact ones on a few small
islands, care institutions with beds, a social-work station in every town, a county
assistance alliance in each county, and this year's build plans from the bureau's report."""

from __future__ import annotations

import datetime as dt
import random

from tongzhou.core import clock
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_code
from tongzhou.network.models import BuildPlan, Facility, FacilityStatus, Provenance

CENTRAL = (
    "舟山本岛",
    "金塘岛",
    "朱家尖岛",
    "长峙岛",
    "鲁家峙",
    "册子岛",
    "长白岛",
    "岱山岛",
    "泗礁山",
)
# Outer islands with a town: those whose 幸福驿家 is open, being built, or planned this year.
YIJIA = {
    "六横岛": "operating",
    "衢山岛": "operating",
    "桃花岛": "operating",
    "虾峙岛": "building",
    "大长涂山": "building",
    "普陀山": "planned",
}
COMPACT = {"盘峙岛": "operating", "大猫岛": "planned"}
REPORT = "2023年上半年工作总结：全年分类打造10家幸福食堂、社区服务综合体9家、居民会客厅6家"


def build_network(rng: random.Random) -> int:
    """The facilities and the year's plans. Returns the facilities made."""
    today = clock.today()
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE).select_related("island", "parent")
    )
    made: list[Facility] = []
    terminals = 0
    for village in villages:
        if village.island is None or village.island.name not in CENTRAL or rng.random() > 0.55:
            continue
        services = ["day_care", "companionship"]
        if rng.random() < 0.55:
            services.append("meals")
        if rng.random() < 0.3:
            services.append("medical")
        with_terminal = terminals < 11 and rng.random() < 0.1
        terminals += with_terminal
        made.append(
            Facility(
                name=f"{village.name.removesuffix('居委会').removesuffix('村委会')}居家养老服务中心",
                kind="home_care",
                village=village,
                status=FacilityStatus.OPERATING,
                opened_on=today - dt.timedelta(days=rng.randrange(200, 2500)),
                opening_hours="周一至周五 8:00–17:00",
                services=services,
                capacity=rng.choice([20, 30, 40]),
                smart_terminal=with_terminal,
            )
        )
    by_island: dict[str, list[Region]] = {}
    for village in villages:
        if village.island is not None:
            by_island.setdefault(village.island.name, []).append(village)
    for kind, plan in (("yijia", YIJIA), ("yijia_compact", COMPACT)):
        for island, status in plan.items():
            if island not in by_island:
                continue
            village = by_island[island][0]
            name = f"{island}{'幸福驿家' if kind == 'yijia' else '幸福驿家（浓缩版）'}"
            made.append(
                _planned(
                    village,
                    kind,
                    name,
                    status,
                    today,
                    rng,
                    services=["meals", "medical", "day_care", "companionship"],
                )
            )
    towns = Region.objects.filter(level=RegionLevel.TOWN)
    first_village = {v.parent_id: v for v in reversed(villages)}
    for town in towns:
        if town.pk in first_village:
            made.append(
                Facility(
                    name=f"{town.name}社工站",
                    kind="social_work",
                    village=first_village[town.pk],
                    status=FacilityStatus.OPERATING,
                    opened_on=today - dt.timedelta(days=700),
                    services=["companionship", "visit"],
                    star_rating=rng.choice([2, 3, 3, 4, 5]),
                )
            )
    for district in Region.objects.filter(level=RegionLevel.DISTRICT):
        seat = next(v for v in villages if v.path.startswith(district.path))
        made.append(
            Facility(
                name=f"{district.name}助联体",
                kind="alliance",
                village=seat,
                status=FacilityStatus.OPERATING,
                opened_on=today - dt.timedelta(days=400),
                services=["legal", "companionship"],
            )
        )
        beds = rng.choice([120, 200, 260])
        made.append(
            Facility(
                name=f"{district.name}社会福利中心",
                kind="institution",
                village=seat,
                status=FacilityStatus.OPERATING,
                opened_on=today - dt.timedelta(days=3000),
                services=["meals", "medical", "nursing"],
                beds=beds,
                dementia_beds=beds // 5,
                medical_care=True,
            )
        )
    # This year's complexes and living rooms, some open, some being built.
    main = list(by_island.get("舟山本岛", []))
    for kind, count, label in (("complex", 9, "社区服务综合体"), ("living_room", 6, "居民会客厅")):
        for i, village in enumerate(rng.sample(main, count)):
            status = ("operating", "building", "planned")[min(i % 4, 2)]
            made.append(
                _planned(
                    village,
                    kind,
                    f"{village.name.removesuffix('居委会').removesuffix('村委会')}{label}",
                    status,
                    today,
                    rng,
                    services=["meals", "day_care"],
                )
            )
    Facility.objects.bulk_create(made)
    _workforce(rng, villages, today)
    city = Region.objects.get(code=city_code())
    for kind, target in (("canteen", 10), ("complex", 9), ("living_room", 6)):
        BuildPlan.objects.update_or_create(
            year=today.year,
            kind=kind,
            region=city,
            defaults={"target": target, "provenance": Provenance.OFFICIAL, "source": REPORT},
        )
    return len(made)


def _planned(
    village: Region,
    kind: str,
    name: str,
    status: str,
    today: dt.date,
    rng: random.Random,
    *,
    services: list[str],
) -> Facility:
    opened = today.replace(month=1, day=1) + dt.timedelta(days=rng.randrange(0, 150))
    return Facility(
        name=name,
        kind=kind,
        village=village,
        status=status,
        services=services,
        planned_year=today.year,
        building_from=opened - dt.timedelta(days=120) if status != "planned" else None,
        opened_on=min(opened, today) if status == "operating" else None,
        opening_hours="每日 8:00–17:00" if status == "operating" else "",
    )


def plan_rota() -> int:
    """This month's mobile-team trips, planned by the city for every county."""
    from tongzhou.accounts.models import User
    from tongzhou.network.services import rota_plan

    plans = rota_plan(actor=User.objects.get(username="city"), month=clock.today())
    return sum(len(plan.trips) for plan in plans)


def _workforce(rng: random.Random, villages: list[Region], today: dt.date) -> None:
    """Full-time community workers in every village (about 47 % certified, as the report's
    figure), more certified carers for the providers, and this year's 十百千 sessions (12, with
    527 attendances of which 361 passed, as the report gives)."""
    from tongzhou.care.models import Carer, Provider
    from tongzhou.network.models import CommunityWorker, TrainingAttendance, TrainingSession

    surnames = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
    CommunityWorker.objects.bulk_create([
        CommunityWorker(village=village, name=f"{rng.choice(surnames)}社工{i + 1}",
                        certified=rng.random() < 0.47,
                        since=today - dt.timedelta(days=rng.randrange(100, 3000)))
        for village in villages for i in range(rng.choice([1, 2, 2, 3]))
    ])  # fmt: skip
    levels = ["junior", "junior", "middle", "senior"]
    for number, provider in enumerate(Provider.objects.order_by("pk")):
        for i in range(3):
            issued = today - dt.timedelta(days=rng.randrange(30, 1500))
            Carer.objects.create(
                provider=provider, name=f"{rng.choice(surnames)}护理员{number}{i}",
                certificate_level=rng.choice(levels), certificate_number=f"ZS-HL-D{number}{i}",
                certificate_issued=issued, certificate_expires=issued + dt.timedelta(days=1825),
                in_post_since=issued - dt.timedelta(days=rng.randrange(0, 900)),
            )  # fmt: skip
    city = Region.objects.get(code=city_code())
    sessions = [
        TrainingSession.objects.create(
            name=f"养老护理“十百千”培训第{n}期", programme="十百千", region=city,
            held_from=today.replace(month=1, day=1) + dt.timedelta(days=20 * n),
            held_to=today.replace(month=1, day=1) + dt.timedelta(days=20 * n + 4),
            certificate_level="junior",
        )
        for n in range(1, 13)
        if today.replace(month=1, day=1) + dt.timedelta(days=20 * n) <= today
    ]  # fmt: skip
    if not sessions:
        return
    people = [TrainingAttendance(session=sessions[i % len(sessions)],
                                 person_name=f"{rng.choice(surnames)}学员{i + 1}",
                                 passed=i < 361)
              for i in range(527)]  # fmt: skip
    TrainingAttendance.objects.bulk_create(people)
