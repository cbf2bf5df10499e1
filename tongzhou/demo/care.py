"""The care services in the demo: the default list, everyone's entitlements, two providers
with their carers (one signs in as `carer1`), and orders in every state in 西安社区, so each
page has something real on it."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from PIL import Image

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.accounts.services import Assignment, user_create
from tongzhou.bookings.selectors import door_of
from tongzhou.care.models import Carer, Entitlement, Provider, ServiceItem, ServiceOrder
from tongzhou.care.services import (
    Position,
    entitlements_refresh,
    order_accept,
    order_cancel,
    order_check_in,
    order_check_out,
    order_confirm,
    order_create,
    order_dispatch,
    order_finish_unconfirmed,
    order_review,
    provider_statement_approve,
    provider_statement_close,
    provider_statement_pay,
)
from tongzhou.core import clock
from tongzhou.core.money import split_by_basis_points
from tongzhou.discovery.services import discovery_scan
from tongzhou.elders.models import CategoryMembership, Elder, ElderStatus
from tongzhou.elders.services import elder_set_status, membership_end
from tongzhou.geo.models import Region
from tongzhou.visits.models import ScheduledVisit, VisitRecord, VisitStatus
from tongzhou.visits.schedule import window
from tongzhou.visits.services import Finding, visit_record, visits_escalate, visits_schedule

VILLAGE = "330902002001"  # 西安社区, where the demo's village worker works


@dataclass(frozen=True)
class CareDemo:
    entitlements: int
    orders: int
    visits_made: int = 0
    discovery_cases: int = 0


def build_care(
    admin: User,
    rng: random.Random,
    *,
    password: str,
    card_for: Callable[[int], str],
    year: bool = False,
) -> CareDemo:
    call_command("load_default_service_list", stdout=io.StringIO())
    ids = list(Elder.objects.filter(status=ElderStatus.ACTIVE).values_list("pk", flat=True))
    entitlements_refresh(elder_ids=ids, day=clock.today())
    dinghai, putuo = Region.objects.get(code="330902"), Region.objects.get(code="330903")
    providers = [
        Provider.objects.create(
            name="定海区颐养居家服务中心",
            kind=Provider.Kind.SOCIAL,
            region=dinghai,
            phone="0580-2000001",
            kinds_served=["cleaning", "bathing", "personal", "medical"],
        ),
        Provider.objects.create(
            name="普陀区海岛护理服务社",
            kind=Provider.Kind.ENTERPRISE,
            region=putuo,
            phone="0580-3000001",
            kinds_served=["cleaning", "nursing", "personal"],
        ),
    ]
    carer_user = user_create(
        actor=admin,
        username="carer1",
        password=None,
        assignment=Assignment(Role.CARER, region=dinghai),
        full_name="颐养中心 林护理员",
    )
    carer_user.set_password(password)
    carer_user.save(update_fields=["password"])
    today = clock.today()
    carers = [
        Carer(
            provider=providers[0],
            user=carer_user,
            name="林护理员",
            certificate_level="middle",
            certificate_number="ZS-HL-2024-0101",
            certificate_expires=today + dt.timedelta(days=700),
        ),
        Carer(
            provider=providers[0],
            name="赵护理员",
            certificate_level="junior",
            certificate_number="ZS-HL-2023-0417",
            certificate_expires=today + dt.timedelta(days=40),
        ),
        Carer(
            provider=providers[1],
            name="孙护理员",
            certificate_level="senior",
            certificate_number="ZS-HL-2022-0033",
            certificate_expires=today + dt.timedelta(days=300),
        ),
    ]
    for carer in carers:
        carer.save()
    orders = _orders(admin, carer_user, providers[0], rng, card_for)
    visits_made = build_visits("xian")
    if year:  # the past year behind this period's schedule
        orders += build_care_year(rng, carers[0])
    else:  # last month's records in the village, for its statement
        orders += _past_orders(rng, carers[0], clock.today(), months=1, village=VILLAGE)
    _settle_past_months(providers[0])
    _plant_signals(admin)
    cases = sum(discovery_scan(day=clock.today()).opened.values())
    return CareDemo(
        entitlements=Entitlement.objects.count(),
        orders=orders,
        visits_made=visits_made,
        discovery_cases=cases,
    )


def _orders(
    admin: User, carer: User, provider: Provider, rng: random.Random, card_for: Callable[[int], str]
) -> int:
    """Eight orders in 西安社区 in every state; two done today, one approved, one in review."""
    candidates = list(
        Entitlement.objects.filter(
            elder__residence__code=VILLAGE,
            valid_to__isnull=True,
            item_code__in=["S21", "S22", "S29", "S26", "S23", "S24", "S33", "S39", "S34", "S44"],
        )
        .select_related("elder__residence", "item")
        .order_by("elder_id", "item__sort_order")
    )
    seen: set[int] = set()
    picks: list[Entitlement] = []
    again: list[Entitlement] = []
    for entitlement in candidates:
        (again if entitlement.elder_id in seen else picks).append(entitlement)
        seen.add(entitlement.elder_id)
    picks += again  # a second item for an elder where the village has too few
    now = timezone.localtime(clock.now())
    start = dt.datetime.combine(now.date(), dt.time(8, 0), now.tzinfo)
    steps = [
        "approved",
        "review",
        "in_service",
        "accepted",
        "accepted_later",
        "dispatched",
        "requested",
        "cancelled",
        "rejected",
    ]
    made = 0
    # A village with few entitled elders gives a second order to the first ones.
    for step, entitlement in zip(steps, itertools.cycle(picks) if picks else [], strict=False):
        elder = entitlement.elder
        order = order_create(
            actor=admin,
            elder=elder,
            item_code=entitlement.item_code,
            quantity=1,
            note="家属希望上午来" if step == "requested" else "",
        )
        made += 1
        if step == "requested":
            continue
        if step == "cancelled":
            order_cancel(actor=admin, order_id=order.pk, why="老人住院，暂停服务")
            continue
        order_dispatch(actor=admin, order_id=order.pk, provider=provider)
        if step == "dispatched":
            continue
        later = dt.timedelta(days=2 if step == "accepted_later" else 0)
        order_accept(
            actor=carer,
            order_id=order.pk,
            window_start=start + later,
            window_end=start + later + dt.timedelta(hours=10),
        )
        if step.startswith("accepted"):
            continue
        lon, lat = door_of(elder)
        at_door = Position(
            lon=(lon or 122.1) + rng.uniform(-0.0003, 0.0003),
            lat=(lat or 30.0) + rng.uniform(-0.0003, 0.0003),
            accuracy_m=12,
        )
        order_check_in(actor=carer, order_id=order.pk, position=at_door)
        if step == "in_service":
            continue
        # The demo's visits happened this morning: the check-in moves back by the service time.
        minutes = order.item.min_minutes * order.quantity + 10
        ServiceOrder.objects.filter(pk=order.pk).update(
            check_in_at=now - dt.timedelta(minutes=minutes)
        )
        photo = SimpleUploadedFile(f"o{order.pk}.jpg", _photo_bytes(order.pk), "image/jpeg")
        order_check_out(actor=carer, order_id=order.pk, position=at_door, photo=photo)
        if step == "approved":
            order_confirm(actor=carer, order_id=order.pk, credential=card_for(elder.pk))
        else:
            order_finish_unconfirmed(actor=carer, order_id=order.pk, why="老人外出，由邻居代为开门")
        if step == "rejected":
            order_review(actor=admin, order_id=order.pk, approve=False, note="回访核实未上门服务")
    return made


def _photo_bytes(seed: int) -> bytes:
    """A small valid JPEG, different for each order (the same photo twice is flagged)."""
    image = Image.new("RGB", (64, 48), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def build_visits(worker_name: str) -> int:
    """Last month's visits (those not made are overdue, one is made late), this month's
    schedule, three visits made in 西安社区 today, one with a finding to follow up."""
    worker = User.objects.get(username=worker_name)
    today = clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    visits_schedule(day=last_month)
    visits_escalate(day=today)
    visits_schedule(day=today)
    ok = {"ok": True, "note": ""}
    missed = ScheduledVisit.objects.filter(village=worker.region, status=VisitStatus.MISSED)
    made = 0
    for visit in missed[:1]:
        visit_record(actor=worker, visit_id=visit.pk, method="home", sections={"health": ok})
        made += 1
    open_now = ScheduledVisit.objects.filter(
        village=worker.region, status=VisitStatus.OPEN, opens__lte=today
    ).order_by("pk")
    for index, visit in enumerate(open_now[:3]):
        findings = [Finding("safety", "燃气灶软管老化，需更换")] if index == 0 else []
        sections = {"safety": {"ok": False, "note": "燃气软管老化"}} if findings else {}
        visit_record(
            actor=worker, visit_id=visit.pk, method="home", sections=sections, findings=findings
        )
        made += 1
    return made


def _plant_signals(admin: User) -> None:
    """Two things a worker in 西安社区 should hear of: a 低保 ending in three weeks with no
    renewal, and a death recorded today while the entitlements still stand."""
    today = clock.today()
    village = Region.objects.get(code=VILLAGE)
    membership = (
        CategoryMembership.objects.filter(
            elder__residence=village,
            category__code="dibao",
            valid_to__isnull=True,
            elder__status=ElderStatus.ACTIVE,
        )
        .order_by("pk")
        .first()
    )
    if membership is not None:
        membership_end(actor=admin, membership=membership, valid_to=today + dt.timedelta(days=21))
    died = (
        Elder.objects.filter(
            residence=village, status=ElderStatus.ACTIVE, birth_date__year__lt=1935
        )
        .order_by("pk")
        .first()
    )
    if died is not None:
        elder_set_status(actor=admin, elder=died, status=ElderStatus.DECEASED, on=today)


def build_care_year(rng: random.Random, carer: Carer) -> int:
    """A city's past year, written in bulk: every tier's visits of the last twelve months (most
    made, some late, a few missed, with their records) and a year of orders at the door for
    the elders entitled to help at home. Returns the orders made."""
    today = clock.today()
    visitor = User.objects.filter(username="xian").first() or User.objects.get(username="admin")
    owed = list(
        ScheduledVisit.objects.filter(reason="routine", status=VisitStatus.OPEN).values_list(
            "elder_id", "village_id", "tier_id", "tier__frequency"
        )
    )
    # Periods already owed (last month's, made by the schedule) are left as they are.
    existing = set(
        ScheduledVisit.objects.filter(reason="routine").values_list("elder_id", "period_id")
    )
    visits: list[ScheduledVisit] = []
    for elder_id, village_id, tier_id, frequency in owed:
        step = {"week": 7, "month": 30, "quarter": 91}[frequency]
        day = today - dt.timedelta(days=step)
        seen: set[str] = set()
        while day > today - dt.timedelta(days=365):
            slot = window(frequency, day)
            day -= dt.timedelta(days=step)
            if slot.closes >= today or slot.period_id in seen:
                continue
            if (elder_id, slot.period_id) in existing:
                continue
            seen.add(slot.period_id)
            roll = rng.random()
            status = "done" if roll < 0.9 else "done_late" if roll < 0.97 else "missed"
            visits.append(
                ScheduledVisit(
                    elder_id=elder_id,
                    village_id=village_id,
                    tier_id=tier_id,
                    reason="routine",
                    period_id=slot.period_id,
                    due=slot.due,
                    opens=slot.opens,
                    closes=slot.closes,
                    status=status,
                )
            )
    zone = timezone.get_current_timezone()
    for start in range(0, len(visits), 20_000):
        chunk = visits[start : start + 20_000]
        with transaction.atomic():
            made = ScheduledVisit.objects.bulk_create(chunk, batch_size=2000)
            records = []
            for visit in made:
                if visit.status == "missed":
                    continue
                on = visit.due if visit.status == "done" else visit.closes + dt.timedelta(days=3)
                records.append(
                    VisitRecord(
                        elder_id=visit.elder_id,
                        scheduled_id=visit.pk,
                        visitor=visitor,
                        method="home",
                        visited_at=dt.datetime.combine(on, dt.time(10), zone),
                        business_date=on,
                        late=visit.status == "done_late",
                        health={"ok": True, "note": ""},
                    )
                )
            VisitRecord.objects.bulk_create(records, batch_size=2000)
    return _past_orders(rng, carer, today, months=12)


def _past_orders(
    rng: random.Random, carer: Carer, today: dt.date, *, months: int, village: str = ""
) -> int:
    """Approved records (a few in review) of the last `months` months, about every other
    month for each elder entitled to help at home (in `village` only, if given)."""
    items = {i.code: i for i in ServiceItem.objects.filter(code__in=["S21", "S29", "S24", "S33"])}
    found = Entitlement.objects.filter(valid_to__isnull=True, item_code__in=list(items))
    if village:
        found = found.filter(elder__residence__code=village)
    entitled = list(found.values_list("elder_id", "item_code"))
    zone = timezone.get_current_timezone()
    orders = []
    for elder_id, code in entitled:
        item = items[code]
        for months_ago in range(1, months + 1):
            if rng.random() < 0.5:
                continue
            first = (today.replace(day=1) - dt.timedelta(days=30 * months_ago - 15)).replace(day=1)
            day = first + dt.timedelta(days=rng.randrange(28))
            start = dt.datetime.combine(day, dt.time(9), zone)
            price = item.unit_price_fen
            shares = split_by_basis_points(
                price,
                {"g": item.government_bp, "c": item.charity_bp, "e": item.elder_bp},
            )
            orders.append(
                ServiceOrder(
                    elder_id=elder_id,
                    item=item,
                    source="entitlement",
                    quantity=1,
                    status="approved" if rng.random() < 0.95 else "review",
                    business_date=day,
                    provider_id=carer.provider_id,
                    carer=carer,
                    window_start=start,
                    window_end=start + dt.timedelta(hours=4),
                    price_fen=price,
                    government_fen=shares["g"],
                    charity_fen=shares["c"],
                    elder_fen=shares["e"],
                    check_in_at=start,
                    check_out_at=start + dt.timedelta(minutes=item.min_minutes + 5),
                    check_in_distance_m=20.0,
                    check_out_distance_m=25.0,
                    confirmed_by="card",
                    confirmed_at=start + dt.timedelta(minutes=item.min_minutes + 6),
                )
            )
    ServiceOrder.objects.bulk_create(orders, batch_size=2000)
    return len(orders)


def _settle_past_months(provider: Provider) -> None:
    """The provider's past months closed by the district in order; all but the last approved
    and paid by the city, the last one waiting for the city's approval."""
    district = User.objects.get(username="dinghai")
    city = User.objects.get(username="city")
    this_month = clock.today().replace(day=1)
    months = sorted(
        {
            day.replace(day=1)
            for day in ServiceOrder.objects.filter(
                provider=provider, status="approved", business_date__lt=this_month
            ).dates("business_date", "month")
        }
    )
    for month in months:
        statement = provider_statement_close(actor=district, provider_id=provider.pk, month=month)
        if month != months[-1]:
            provider_statement_approve(actor=city, statement_id=statement.pk)
            provider_statement_pay(
                actor=city, statement_id=statement.pk, reference=f"ZS-CZ-{month:%Y%m}-01"
            )
