"""Reproducible synthetic data on Zhoushan's real regions.

Shares come from `geo/data/source/zhoushan_population.csv` where it has them (60+ shares for
普陀 and 嵊泗, the provincial 80+, empty-nest and disability priors); the rest are stated
assumptions below. Nothing here is a real person.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.accounts.services import Assignment, user_create
from tongzhou.canteens.models import (
    Canteen,
    CanteenKind,
    CanteenStatus,
    Dish,
    Menu,
    MenuItem,
    Operator,
    ServiceTag,
)
from tongzhou.canteens.services import canteen_save, meal_session_set, terminal_create
from tongzhou.core import crypto
from tongzhou.core.masking import mask_id_number, mask_phone
from tongzhou.demo.board import build_board
from tongzhou.demo.care import build_care
from tongzhou.demo.history import build_last_month
from tongzhou.demo.meal_service import build_meal_service
from tongzhou.demo.network import build_network, plan_rota
from tongzhou.demo.oversight import build_oversight
from tongzhou.elders.ages import years_before
from tongzhou.elders.idnumber import make_id_number
from tongzhou.elders.models import Category, Elder, ElderStatus, LivingArrangement
from tongzhou.elders.services import elders_bulk_load, id_number_hash, phone_hash
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_code
from tongzhou.geo.services import zhoushan_counts, zhoushan_load
from tongzhou.identity import offline
from tongzhou.identity.models import Card
from tongzhou.identity.services import card_hash, mask_card
from tongzhou.ledger.models import AccountKind
from tongzhou.ledger.services import account_for, opening_balances
from tongzhou.subsidies.models import SubsidyPolicy

DEMO_PASSWORD = "tongzhou-demo"  # noqa: S105 - printed to the user; the demo binds to 127.0.0.1
SCALES = {"small": 3_000, "city": 300_000}
REFERENCE_DAY = dt.date(2026, 1, 1)

# Resident population 2023 (zhoushan_population.csv) × share aged 60+: 普陀 25.04% and 嵊泗
# 31.3% are census figures; 定海 (mostly urban main island) and 岱山 (outer islands) are
# assumptions bracketing the city's registered 25.2%.
DISTRICT_ELDERS = {
    "330902": 508_500 * 0.235,
    "330903": 386_100 * 0.2504,
    "330921": 213_400 * 0.29,
    "330922": 65_000 * 0.313,
}
# Age mix of people 60+: main island vs. outer islands (older; young people leave).
# The 80+ shares (16% / 21%) bracket Zhejiang's 15.64% prior.
AGE_MIX = {
    "main": ((60, 69, 0.55), (70, 79, 0.29), (80, 89, 0.135), (90, 104, 0.025)),
    "outer": ((60, 69, 0.48), (70, 79, 0.31), (80, 89, 0.175), (90, 104, 0.035)),
}
FEMALE_SHARE = ((69, 0.50), (79, 0.52), (89, 0.57), (200, 0.65))
# Category shares among people 60+. empty_nest and disability are the provincial priors in
# zhoushan_population.csv; the others are assumptions of the right order of magnitude.
CATEGORY_SHARES = {
    "empty_nest": 0.2416,
    "living_alone": 0.10,
    "semi_disabled": 0.0495,
    "disabled": 0.025,
    "dibao": 0.025,
    "dibao_edge": 0.015,
    "severe_disability": 0.015,
    "priority_care": 0.012,
    "family_planning_special": 0.006,
    "tekun": 0.004,
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
    "叶程魏苏吕丁任沈姚卢傅钟姜崔谭陆范汪廖石金贾夏韦方邱侯邹熊孟秦白江阎薛尹段雷黎史"
    "龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向常汤"
)
GIVEN = (
    "秀英桂兰玉芳明华国建德志文平海军荣福根宝珍凤美金银春梅菊花阿永良兴法富财友成林生"
    "贵忠伟娟丽红霞佩琴翠莲娣妹雪月强"
)

# Where the 11 canteens of the 2023 report plausibly are: town seats with the most elders,
# one per outer-island town of size, and a central kitchen serving the old city by delivery.
CANTEEN_PLAN = [
    ("ZS-DH-001", "昌国街道幸福食堂", "330902002", CanteenKind.HAPPINESS_CANTEEN, 80),
    ("ZS-DH-002", "临城街道幸福食堂", "330902006", CanteenKind.HAPPINESS_CANTEEN, 60),
    ("ZS-DH-003", "金塘镇幸福食堂", "330902100", CanteenKind.HAPPINESS_CANTEEN, 50),
    ("ZS-DH-004", "白泉镇幸福食堂", "330902104", CanteenKind.HAPPINESS_CANTEEN, 40),
    ("ZS-DH-005", "定海城区中央厨房", "330902005", CanteenKind.CENTRAL_KITCHEN, 0),
    ("ZS-PT-001", "沈家门街道幸福食堂", "330903001", CanteenKind.HAPPINESS_CANTEEN, 80),
    ("ZS-PT-002", "东港街道幸福食堂", "330903003", CanteenKind.HAPPINESS_CANTEEN, 50),
    ("ZS-PT-003", "六横镇幸福食堂", "330903100", CanteenKind.HAPPINESS_CANTEEN, 60),
    ("ZS-DS-001", "高亭镇幸福食堂", "330921100", CanteenKind.HAPPINESS_CANTEEN, 60),
    ("ZS-DS-002", "衢山镇幸福食堂", "330921106", CanteenKind.HAPPINESS_CANTEEN, 40),
    ("ZS-SS-001", "菜园镇幸福食堂", "330922100", CanteenKind.HAPPINESS_CANTEEN, 50),
]
OPERATORS = [
    ("舟山市颐乐养老服务中心", "52330900MJ0000001A"),
    ("普陀区海之家社会工作服务社", "52330903MJ0000002B"),
    ("岱山县爱心助老服务中心", "52330921MJ0000003C"),
    ("嵊泗县渔嫂志愿服务协会", "51330922MJ0000004D"),
]


class DemoExists(Exception):
    def __init__(self, elders: int) -> None:
        super().__init__(f"the database already holds {elders} elders; use a fresh database")
        self.elders = elders


@dataclass
class DemoResult:
    elders: int
    memberships: int
    canteens: int
    terminals: int
    users: int
    seconds: float
    credentials_file: Path
    delivery_orders: int = 0  # standing delivery orders
    eat_in_regulars: int = 0
    delivered_today: int = 0
    sales_last_month: int = 0
    entitlements: int = 0
    care_orders: int = 0
    visits_made: int = 0
    discovery_cases: int = 0
    facilities: int = 0


def generate_demo(*, scale: str, seed: int) -> DemoResult:
    started = time.perf_counter()
    existing = Elder.objects.count()
    if existing:
        raise DemoExists(existing)
    if zhoushan_counts().villages == 0:
        zhoushan_load(actor=None)
    rng = random.Random(seed)
    admin = _ensure_admin()
    if not SubsidyPolicy.objects.exists():
        call_command("load_default_policy", stdout=io.StringIO())
    with transaction.atomic():
        canteens, credentials = _canteens(admin, rng)
        users = _users(admin, canteens)
    elders, memberships = _elders(admin, rng, SCALES[scale])
    cards = _cards_and_money(rng)
    _menus(rng, canteens)
    history = build_last_month(rng, canteens)
    meal_service = build_meal_service(admin, rng, canteens)
    care = build_care(
        admin, rng, password=DEMO_PASSWORD, card_for=demo_card_number, year=scale == "city"
    )
    facilities = build_network(rng)
    plan_rota()
    credentials += build_oversight(rng, _menus)
    build_board()
    credentials_file = Path(settings.VAR_DIR) / "demo-terminals.txt"
    (Path(settings.VAR_DIR) / "demo-cards.txt").write_text("".join(f"{c}\n" for c in cards[:200]))
    credentials_file.write_text("".join(f"{name}\t{cred}\n" for name, cred in credentials))
    os.chmod(credentials_file, 0o600)
    return DemoResult(
        elders=elders,
        memberships=memberships,
        canteens=Canteen.objects.count(),
        terminals=len(credentials),
        users=users,
        seconds=time.perf_counter() - started,
        credentials_file=credentials_file,
        delivery_orders=meal_service.delivery_orders,
        eat_in_regulars=meal_service.eat_in_regulars,
        delivered_today=meal_service.delivered_today,
        sales_last_month=history,
        entitlements=care.entitlements,
        care_orders=care.orders,
        visits_made=care.visits_made,
        discovery_cases=care.discovery_cases,
        facilities=facilities,
    )


def demo_card_number(elder_id: int) -> str:
    """Demo citizen-card numbers: readable, unique, and derivable for load tests."""
    return f"3309{elder_id:010d}"


def _cards_and_money(rng: random.Random) -> list[str]:
    """A card for every active elder, and own money for most of them (a batch journal)."""
    elder_ids = list(
        Elder.objects.filter(status=ElderStatus.ACTIVE).order_by("id").values_list("id", flat=True)
    )
    # The slow offline hash costs ~0.4 ms a card: made here for a small demo, and at each
    # card's first online use for a city-scale one (with the number's encrypted copy).
    slow_hash = len(elder_ids) <= 10_000
    Card.objects.bulk_create(
        [
            Card(
                elder_id=elder_id,
                number_hash=card_hash(demo_card_number(elder_id)),
                number_masked=mask_card(demo_card_number(elder_id)),
                number_encrypted=crypto.encrypt(demo_card_number(elder_id)) if slow_hash else "",
                offline_verifier=offline.verifier(demo_card_number(elder_id)) if slow_hash else "",
            )
            for elder_id in elder_ids
        ],
        batch_size=5000,
    )
    city = Region.objects.get(code=city_code())
    source = account_for(AccountKind.TOPUP_CLEARING, region_id=city.pk)
    amounts = {
        elder_id: rng.choice((5000, 10000, 20000, 30000)) if rng.random() < 0.8 else 0
        for elder_id in elder_ids
    }
    opening_balances(
        amounts=amounts, source=source, business_date=REFERENCE_DAY, memo="demo opening balances"
    )
    return [demo_card_number(elder_id) for elder_id in elder_ids]


DISHES = [
    ("红烧带鱼套餐", 1500, "低糖"),
    ("清蒸黄鱼套餐", 1800, "低盐"),
    ("荤素搭配套餐", 1200, ""),
    ("软烂面条", 800, "软食"),
    ("小米粥配包子", 500, "软食"),
    ("蔬菜豆腐汤饭", 1000, "低盐;低糖"),
]


def _menus(rng: random.Random, canteens: list[Canteen]) -> None:
    """Dishes per canteen and a menu for every session it serves, for the next 60 days."""
    start = timezone.localdate()
    items: list[MenuItem] = []
    for canteen in canteens:
        dishes = [
            Dish.objects.create(canteen=canteen, name=name, price_fen=price, diet_tags=diet)
            for name, price, diet in DISHES
        ]
        sessions = list(canteen.sessions.values_list("kind", flat=True))
        menus = Menu.objects.bulk_create(
            [
                Menu(canteen=canteen, date=start + dt.timedelta(days=offset), session=session)
                for offset in range(60)
                for session in sessions
            ]
        )
        for menu in menus:
            chosen = dishes[3:5] if menu.session == "breakfast" else rng.sample(dishes, 4)
            items.extend(
                MenuItem(menu=menu, dish=dish, price_fen=dish.price_fen) for dish in chosen
            )
    MenuItem.objects.bulk_create(items, batch_size=5000)


def _ensure_admin() -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser(
            "admin", email="", password=DEMO_PASSWORD, full_name="平台管理员"
        )
    return admin


def _first_community(town_code: str) -> Region:
    town = Region.objects.get(code=town_code)
    return Region.objects.filter(parent=town).order_by("code").first() or town


def _canteens(admin: User, rng: random.Random) -> tuple[list[Canteen], list[tuple[str, str]]]:
    operators = [
        Operator.objects.get_or_create(name=name, defaults={"credit_code": code})[0]
        for name, code in OPERATORS
    ]
    tags = {tag.code: tag for tag in ServiceTag.objects.all()}
    canteens: list[Canteen] = []
    credentials: list[tuple[str, str]] = []
    district_operator = {"330902": 0, "330903": 1, "330921": 2, "330922": 3}
    for code, name, town_code, kind, seats in CANTEEN_PLAN:
        village = _first_community(town_code)
        assert village.lon is not None and village.lat is not None
        canteen = Canteen(
            code=code,
            name=name,
            kind=kind,
            operator=operators[district_operator[town_code[:6]]],
            village=village,
            address=f"{village.parent.name if village.parent else ''}{village.name}旁",
            lon=village.lon,
            lat=village.lat,
            seats=seats,
            status=CanteenStatus.OPEN,
            opened_on=dt.date(2021 + rng.randrange(3), rng.randrange(1, 13), 1),
            open_amount_max_fen=2000,  # a counter may key in a price up to 20 yuan
        )
        chosen = ["charity", "service", *rng.sample(["health", "culture", "volunteer"], 1)]
        if kind == CanteenKind.CENTRAL_KITCHEN:
            chosen = ["delivery", "charity"]
        canteen_save(actor=admin, canteen=canteen, tags=[tags[c] for c in chosen])
        meal_session_set(
            actor=admin,
            canteen=canteen,
            kind="lunch",
            starts_at=dt.time(10, 30),
            ends_at=dt.time(12, 30),
        )
        meal_session_set(
            actor=admin,
            canteen=canteen,
            kind="dinner",
            starts_at=dt.time(16, 30),
            ends_at=dt.time(18, 0),
        )
        if seats >= 60:
            meal_session_set(
                actor=admin,
                canteen=canteen,
                kind="breakfast",
                starts_at=dt.time(6, 30),
                ends_at=dt.time(8, 0),
            )
        counters = 1 if kind == CanteenKind.CENTRAL_KITCHEN else 2
        for number in range(1, counters + 1):
            issued = terminal_create(actor=admin, canteen=canteen, name=f"收银台{number}")
            credentials.append((str(issued.terminal), issued.credential))
        canteens.append(canteen)
    return canteens, credentials


def _users(admin: User, canteens: list[Canteen]) -> int:
    by_code = {canteen.code: canteen for canteen in canteens}
    region = {
        r.code: r
        for r in Region.objects.filter(
            code__in=[
                city_code(),
                "330902",
                "330903",
                "330902002",
                "330902002001",
            ]
        )
    }
    plan = [
        ("city", "市民政局 张科长", Assignment(Role.CITY_BUREAU, region=region[city_code()])),
        (
            "dinghai",
            "定海区民政局 李主任",
            Assignment(Role.DISTRICT_OFFICER, region=region["330902"]),
        ),
        (
            "putuo",
            "普陀区民政局 王主任",
            Assignment(Role.DISTRICT_OFFICER, region=region["330903"]),
        ),
        ("changguo", "昌国街道 陈干事", Assignment(Role.TOWN_OFFICER, region=region["330902002"])),
        ("xian", "西安社区 刘社工", Assignment(Role.VILLAGE_WORKER, region=region["330902002001"])),
        ("canteen1", "昌国食堂 周经理", Assignment(Role.CANTEEN_MANAGER, canteen=canteens[0])),
        ("cashier1", "昌国食堂 吴收银", Assignment(Role.CASHIER, canteen=canteens[0])),
        ("courier1", "昌国食堂 郑志愿者", Assignment(Role.DELIVERY_VOLUNTEER, canteen=canteens[0])),
        (
            "courier2",
            "中央厨房 钱师傅",
            Assignment(Role.DELIVERY_VOLUNTEER, canteen=by_code["ZS-DH-005"]),
        ),
        (
            "courier3",
            "六横食堂 何志愿者",
            Assignment(Role.DELIVERY_VOLUNTEER, canteen=by_code["ZS-PT-003"]),
        ),
        ("auditor", "市审计 孙审计", Assignment(Role.AUDITOR, region=region[city_code()])),
    ]
    created = 0
    for username, full_name, assignment in plan:
        if User.objects.filter(username=username).exists():
            continue
        user = user_create(
            actor=admin,
            username=username,
            password=None,
            assignment=assignment,
            full_name=full_name,
        )
        # Demo accounts share one printed password; real accounts get validated ones.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        created += 1
    return created


def _weighted_villages(rng: random.Random, total: int) -> list[tuple[Region, int]]:
    """How many elders live in each village: districts by their 60+ population, towns by
    their number of committees (outer islands weighted up), resident committees larger."""
    villages = list(
        Region.objects.filter(level=RegionLevel.VILLAGE).select_related("island", "parent")
    )
    by_district: dict[str, list[Region]] = defaultdict(list)
    for village in villages:
        by_district[village.code[:6]].append(village)
    district_total = sum(DISTRICT_ELDERS.values())
    plan: list[tuple[Region, int]] = []
    for code, members in sorted(by_district.items()):
        target = round(total * DISTRICT_ELDERS[code] / district_total)
        weights = [
            (1.5 if v.kind.startswith("resident") else 1.0)
            * (1.0 if v.island and v.island.is_main_island else 1.2)
            * rng.uniform(0.6, 1.4)
            for v in members
        ]
        weight_sum = sum(weights)
        counts = [int(target * w / weight_sum) for w in weights]
        for index in rng.sample(range(len(members)), target - sum(counts)):
            counts[index] += 1
        plan.extend(zip(members, counts, strict=True))
    return plan


def _pick_age(rng: random.Random, outer: bool) -> int:
    roll = rng.random()
    for low, high, share in AGE_MIX["outer" if outer else "main"]:
        if roll < share:
            return rng.randint(low, high)
        roll -= share
    return rng.randint(60, 69)


def _elders(admin: User, rng: random.Random, total: int) -> tuple[int, int]:
    elders, assigned = build_elders(rng, total)
    created = elders_bulk_load(actor=admin, elders=elders, categories=assigned, label="demo")
    return created, sum(len(chosen) for chosen in assigned)


def build_elders(
    rng: random.Random, total: int
) -> tuple[list[Elder], list[list[tuple[Category, dt.date]]]]:
    """Unsaved elders and their categories; the same seed gives the same people."""
    categories = {c.code: c for c in Category.objects.all()}
    used_sequences: dict[tuple[str, dt.date, int], int] = defaultdict(int)
    elders: list[Elder] = []
    assigned: list[list[tuple[Category, dt.date]]] = []
    for village, count in _weighted_villages(rng, total):
        outer = not (village.island and village.island.is_main_island)
        county = village.code[:6]
        for _ in range(count):
            age = _pick_age(rng, outer)
            birth = years_before(REFERENCE_DAY, age) - dt.timedelta(days=rng.randrange(365))
            female_share = next(share for upto, share in FEMALE_SHARE if age <= upto)
            parity = 0 if rng.random() < female_share else 1
            key = (county, birth, parity)
            serial = used_sequences[key]
            used_sequences[key] += 1
            id_number = make_id_number(county, birth, serial * 2 + parity)
            phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
            chosen = _pick_categories(rng, age, categories)
            codes = {category.code for category, _since in chosen}
            living = (
                LivingArrangement.ALONE
                if "living_alone" in codes
                else LivingArrangement.EMPTY_NEST
                if "empty_nest" in codes
                else rng.choice([LivingArrangement.WITH_FAMILY] * 9 + [LivingArrangement.OTHER])
            )
            status_roll = rng.random()
            status, died_on, moved_on = ElderStatus.ACTIVE, None, None
            if status_roll < 0.004:
                status, died_on = (
                    ElderStatus.DECEASED,
                    REFERENCE_DAY - dt.timedelta(days=rng.randrange(1, 300)),
                )
            elif status_roll < 0.008:
                status, moved_on = (
                    ElderStatus.MOVED_AWAY,
                    REFERENCE_DAY - dt.timedelta(days=rng.randrange(1, 300)),
                )
            elders.append(
                Elder(
                    name=rng.choice(SURNAMES)
                    + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2)))),
                    gender="M" if parity else "F",
                    id_number_encrypted=crypto.encrypt(id_number),
                    id_number_hash=id_number_hash(id_number),
                    id_number_masked=mask_id_number(id_number),
                    birth_date=birth,
                    phone_encrypted=crypto.encrypt(phone) if phone else "",
                    phone_hash=phone_hash(phone) if phone else "",
                    phone_masked=mask_phone(phone),
                    residence=village,
                    address=f"{village.name}{rng.randrange(1, 200)}号",
                    hukou_region=village,
                    living_arrangement=living,
                    status=status,
                    died_on=died_on,
                    moved_on=moved_on,
                )
            )
            assigned.append(chosen)
    return elders, assigned


def _pick_categories(
    rng: random.Random, age: int, categories: dict[str, Category]
) -> list[tuple[Category, dt.date]]:
    # Disability rises steeply with age; empty-nest and living alone rise gently.
    age_factor = {60: 0.5, 70: 1.0, 80: 2.2, 90: 3.5}[min(90, age // 10 * 10)]
    chosen: list[tuple[Category, dt.date]] = []
    for code, share in CATEGORY_SHARES.items():
        factor = age_factor if code in ("disabled", "semi_disabled", "severe_disability") else 1.0
        if code in ("living_alone", "empty_nest"):
            factor = 0.8 + 0.2 * age_factor
        if rng.random() < share * factor:
            since = REFERENCE_DAY - dt.timedelta(days=rng.randrange(30, 3000))
            chosen.append((categories[code], since))
    codes = [category.code for category, _ in chosen]
    if "living_alone" in codes and "empty_nest" in codes:
        chosen = [(c, s) for c, s in chosen if c.code != "empty_nest"]
    if "disabled" in codes and "semi_disabled" in codes:
        chosen = [(c, s) for c, s in chosen if c.code != "semi_disabled"]
    return chosen
