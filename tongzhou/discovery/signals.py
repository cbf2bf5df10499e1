"""The signals discovery rules read, one function each: set-based queries over the
platform's own data that answer {elder id: evidence} for a day. Evidence is a list of
(label, value) pairs in plain Chinese, for the worker who opens the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q

from tongzhou.bookings.models import Booking, BookingStatus, WellnessAlert
from tongzhou.care.models import Entitlement, OrderStatus, ServiceOrder
from tongzhou.core import clock
from tongzhou.core.money import yuan
from tongzhou.elders.ages import years_before
from tongzhou.elders.models import CategoryMembership, Elder, ElderStatus, LivingArrangement
from tongzhou.ledger.models import Account, AccountKind
from tongzhou.meals.models import Meal, MealStatus
from tongzhou.visits.models import ScheduledVisit, VisitRecord, VisitStatus

Evidence = list[tuple[str, str]]
Hits = dict[int, Evidence]


def _day(value: dt.date | None) -> str:
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def no_meal(day: dt.date, days: int = 7, min_meals: int = 8, lookback: int = 30) -> Hits:
    """Ate at least `min_meals` times in the last `lookback` days, but not in the last `days`."""
    since = day - dt.timedelta(days=lookback)
    rows = (
        Meal.objects.filter(
            business_date__range=(since, day),
            status=MealStatus.COMPLETED,
            elder__status=ElderStatus.ACTIVE,
        )
        .order_by()  # no model ordering in the GROUP BY
        .values("elder_id")
        .annotate(eaten=Count("pk"), last=Max("business_date"))
        .filter(eaten__gte=min_meals, last__lt=day - dt.timedelta(days=days - 1))
    )
    return {
        r["elder_id"]: [
            (f"近{lookback}天用餐", f"{r['eaten']}次"),
            ("最后一次用餐", _day(r["last"])),
            ("未用餐", f"{(day - r['last']).days}天"),
        ]
        for r in rows
    }


def missed_visits(day: dt.date, count: int = 1) -> Hits:
    rows = (
        ScheduledVisit.objects.filter(status=VisitStatus.MISSED, elder__status=ElderStatus.ACTIVE)
        .order_by()  # no model ordering in the GROUP BY
        .values("elder_id")
        .annotate(missed=Count("pk"), since=Max("closes"))
        .filter(missed__gte=count)
    )
    return {
        r["elder_id"]: [("逾期未探访", f"{r['missed']}次"), ("最近一次截止", _day(r["since"]))]
        for r in rows
    }


def open_alert(day: dt.date, hours: int = 24) -> Hits:
    before = clock.now() - dt.timedelta(hours=hours)
    rows = WellnessAlert.objects.filter(closed_at__isnull=True, raised_at__lt=before).values(
        "elder_id", "raised_at"
    )
    hits: Hits = {}
    for r in rows:
        hours_open = int((clock.now() - r["raised_at"]).total_seconds() // 3600)
        hits.setdefault(r["elder_id"], [("关爱提醒未处理", f"{hours_open}小时")])
    return hits


def alone_unserved(day: dt.date, min_age: int = 80, days: int = 90) -> Hits:
    """At least `min_age`, living alone, and no meal, service at the door or visit in the last
    `days` days."""
    since = day - dt.timedelta(days=days)
    # Per elder living alone, three index lookups (meals and visit records by elder and day,
    # orders by elder): far cheaper than reading every meal of the quarter.
    unserved = (
        Elder.objects.filter(
            status=ElderStatus.ACTIVE,
            living_arrangement=LivingArrangement.ALONE,
            birth_date__lte=years_before(day, min_age),
        )
        .exclude(
            Exists(Meal.objects.filter(elder=OuterRef("pk"), business_date__range=(since, day)))
        )
        .exclude(
            Exists(
                ServiceOrder.objects.filter(
                    elder=OuterRef("pk"), status=OrderStatus.APPROVED, business_date__gte=since
                )
            )
        )
        .exclude(Exists(VisitRecord.objects.filter(elder=OuterRef("pk"), business_date__gte=since)))
    )
    return {
        elder_id: [
            ("年龄", f"{min_age}周岁以上"),
            ("居住", "独居"),
            (f"近{days}天", "未用餐、未接受上门服务、未被探访"),
        ]
        for elder_id in unserved.values_list("pk", flat=True)
    }


def category_expiring(
    day: dt.date, days: int = 30, categories: tuple[str, ...] = ("dibao", "dibao_edge", "tekun")
) -> Hits:
    """A hardship category ends within `days` days and no renewal follows it."""
    ending = CategoryMembership.objects.filter(
        category__code__in=categories,
        valid_to__range=(day, day + dt.timedelta(days=days)),
        elder__status=ElderStatus.ACTIVE,
    ).values("elder_id", "category_id", "category__name_zh", "valid_to")
    renewed = {
        (m["elder_id"], m["category_id"])
        for m in CategoryMembership.objects.filter(
            category__code__in=categories, valid_from__gt=day
        ).values("elder_id", "category_id")
    }
    return {
        r["elder_id"]: [("类别", r["category__name_zh"]), ("到期", _day(r["valid_to"]))]
        for r in ending
        if (r["elder_id"], r["category_id"]) not in renewed
    }


def entitled_after_death(day: dt.date) -> Hits:
    rows = (
        Entitlement.objects.filter(elder__died_on__isnull=False)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=F("elder__died_on")))
        .order_by()
        .values("elder_id", "elder__died_on")
        .annotate(items=Count("pk"))
    )
    return {
        r["elder_id"]: [
            ("登记死亡", _day(r["elder__died_on"])),
            ("仍在享受的项目", f"{r['items']}项"),
        ]
        for r in rows
    }


def purse_low(day: dt.date, below_fen: int = 500, active_days: int = 30) -> Hits:
    """Own money below a threshold for someone who ate in the last `active_days` days."""
    diners = Meal.objects.filter(
        business_date__range=(day - dt.timedelta(days=active_days), day)
    ).values("elder_id")
    rows = Account.objects.filter(
        kind=AccountKind.ELDER_OWN,
        balance_fen__lt=below_fen,
        elder_id__in=diners,
        elder__status=ElderStatus.ACTIVE,
    ).values("elder_id", "balance_fen")
    return {
        r["elder_id"]: [
            ("个人余额", f"{yuan(r['balance_fen'])}元"),
            ("提醒线", f"{yuan(below_fen)}元"),
        ]
        for r in rows
    }


def no_answer(day: dt.date, count: int = 2, days: int = 30) -> Hits:
    rows = (
        Booking.objects.filter(
            status=BookingStatus.NOT_DELIVERED, date__range=(day - dt.timedelta(days=days), day)
        )
        .order_by()  # no model ordering in the GROUP BY
        .values("elder_id")
        .annotate(times=Count("pk"), last=Max("date"))
        .filter(times__gte=count)
    )
    return {
        r["elder_id"]: [
            (f"近{days}天送餐无人应答", f"{r['times']}次"),
            ("最近一次", _day(r["last"])),
        ]
        for r in rows
    }


SIGNALS: dict[str, Callable[..., Hits]] = {
    "no_meal": no_meal,
    "missed_visits": missed_visits,
    "open_alert": open_alert,
    "alone_unserved": alone_unserved,
    "category_expiring": category_expiring,
    "entitled_after_death": entitled_after_death,
    "purse_low": purse_low,
    "no_answer": no_answer,
}


def run(signal: str, day: dt.date, params: dict[str, Any]) -> Hits:
    return SIGNALS[signal](day, **params)
