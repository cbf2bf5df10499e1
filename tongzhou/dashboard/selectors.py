"""What each role's home page shows: the day's work first, then the figures of their area.

The cashier's home is the counter and the day's takings; the canteen manager's the day's
bookings, kitchen, sales and rounds; the village worker's the alerts and the elders with
nothing booked; the officials' a 驾驶舱 of meals and subsidy this month against last,
coverage, canteens and what is open. (A courier's home is the round itself.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import pgettext

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.bookings.models import Booking, BookingStatus, DeliveryRun
from tongzhou.bookings.selectors import alerts_for, day_bookings, plans_on, runs_for
from tongzhou.canteens.models import Canteen, CanteenStatus
from tongzhou.canteens.selectors import canteens_visible_to
from tongzhou.core.charts import Chart, Series, month_label
from tongzhou.coverage.selectors import coverage_report, may_see_coverage
from tongzhou.discovery.selectors import queue
from tongzhou.elders.models import ElderStatus
from tongzhou.elders.selectors import elder_counts, elders_visible_to
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.meals.models import SESSION_CHOICES, Meal, MealStatus
from tongzhou.meals.selectors import day_summary, meals_visible_to
from tongzhou.settlement.models import AnomalyCase
from tongzhou.settlement.selectors import open_reviews
from tongzhou.visits.selectors import due_list


def home_kind(user: Any) -> str:
    """Which home a user gets: "counter", "round", "serve", "canteen", "village" or
    "cockpit"."""
    if user.is_superuser:
        return "cockpit"
    return {
        Role.CASHIER: "counter",
        Role.DELIVERY_VOLUNTEER: "round",
        Role.CANTEEN_MANAGER: "canteen",
        Role.VILLAGE_WORKER: "village",
        Role.CARER: "serve",
    }.get(Role(user.role), "cockpit")


# --- money taken at a counter -------------------------------------------------------------


def takings(meals: QuerySet[Meal], day: dt.date) -> dict[str, Any]:
    """The day's sales by meal and by who paid, each meal with its name."""
    summary = day_summary(meals, day)
    labels = dict(SESSION_CHOICES)
    for row in summary["sessions"]:
        row["label"] = labels[row["session"]]
    return summary


# --- the canteen ---------------------------------------------------------------------------


@dataclass
class SessionWork:
    key: str
    label: str
    eat_in: int
    delivery: int


@dataclass
class RunProgress:
    run: DeliveryRun
    stops: int
    delivered: int
    no_answer: int


@dataclass
class CanteenDay:
    canteen: Canteen
    day: dt.date
    sessions: list[SessionWork]
    takings: dict[str, Any]
    runs: list[RunProgress]


def canteen_day(*, actor: Any, day: dt.date) -> CanteenDay | None:
    canteen = canteens_visible_to(actor).filter(pk=getattr(actor, "canteen_id", None) or 0).first()
    if canteen is None:
        return None
    served = set(canteen.sessions.values_list("kind", flat=True))
    sessions = []
    for key, label in SESSION_CHOICES:
        if key not in served:
            continue
        meals = day_bookings(canteen, day, key)
        delivery = sum(1 for _elder, mode, _courier, _stop in meals if mode == "delivery")
        sessions.append(SessionWork(key, str(label), len(meals) - delivery, delivery))
    runs = []
    if has_cap(actor, Cap.DELIVERY_RECORD):
        counted = runs_for(actor, day).annotate(
            n=Count("stops", filter=~Q(stops__status=BookingStatus.CANCELLED)),
            done=Count("stops", filter=Q(stops__status=BookingStatus.DELIVERED)),
            missed=Count("stops", filter=Q(stops__status=BookingStatus.NOT_DELIVERED)),
        )
        runs = [
            RunProgress(run, run.n, run.done, run.missed)
            for run in counted.order_by("session", "courier__username")
        ]
    return CanteenDay(
        canteen=canteen,
        day=day,
        sessions=sessions,
        takings=takings(meals_visible_to(actor).filter(canteen=canteen), day),
        runs=runs,
    )


# --- the village ---------------------------------------------------------------------------

RECENT_DAYS = 14


@dataclass
class VillageDay:
    alerts: list[Any]
    alerts_open: int
    elders_active: int
    booked_next: int
    next_day: dt.date
    unbooked_regulars: list[Any]
    visits_due: int = 0
    discovery_open: int = 0


def village_day(*, actor: Any, day: dt.date, next_day: dt.date, limit: int = 12) -> VillageDay:
    """Open alerts first; then the elders who ate or booked in the last two weeks and have
    nothing booked for the next day still open for booking: the calls to make."""
    alerts = alerts_for(actor).order_by("raised_at")
    elders = elders_visible_to(actor).filter(status=ElderStatus.ACTIVE)
    live = ~Q(status=BookingStatus.CANCELLED)
    booked_next = Booking.objects.filter(live, elder__in=elders, date=next_day).values("elder_id")
    recent = day - dt.timedelta(days=RECENT_DAYS)
    ate = Meal.objects.filter(elder__in=elders, business_date__gte=recent).values("elder_id")
    booked = Booking.objects.filter(live, elder__in=elders, date__range=(recent, day)).values(
        "elder_id"
    )
    # A standing booking gives a meal unless that day's row (a cancellation) overrides it.
    cancelled_next = Booking.objects.filter(date=next_day, status=BookingStatus.CANCELLED)
    planned_next = (
        plans_on(next_day)
        .filter(elder__in=elders)
        .exclude(elder_id__in=cancelled_next.values("elder_id"))
        .values("elder_id")
    )
    regulars = (
        elders.filter(Q(pk__in=ate) | Q(pk__in=booked))
        .exclude(pk__in=booked_next)
        .exclude(pk__in=planned_next)
        .select_related("residence")
        .order_by("residence__code", "name")
    )
    return VillageDay(
        alerts=list(alerts[:5]),
        alerts_open=alerts.count(),
        elders_active=elders.count(),
        booked_next=elders.filter(Q(pk__in=booked_next) | Q(pk__in=planned_next)).count(),
        next_day=next_day,
        unbooked_regulars=list(regulars[:limit]),
        visits_due=due_list(actor, day).count(),
        discovery_open=queue(actor).count(),
    )


# --- the officials' cockpit ----------------------------------------------------------------


@dataclass
class MonthFigures:
    meals: int = 0
    subsidy: int = 0
    elders: int = 0


@dataclass
class Cockpit:
    area: Region | None
    day: dt.date
    this_month: MonthFigures
    last_month_to_date: MonthFigures
    last_month: MonthFigures
    daily: Chart
    by_area: Chart
    by_area_rows: list[dict[str, Any]]
    coverage: Any
    canteens_open: int
    canteens_total: int
    elders: dict[str, Any] | None
    alerts_open: int | None
    anomalies_open: int | None
    reviews_waiting: list[Any] = field(default_factory=list)

    @staticmethod
    def change(now: int, before: int) -> float | None:
        return None if not before else round((now - before) * 100 / before, 1)

    @property
    def meals_change(self) -> float | None:
        return self.change(self.this_month.meals, self.last_month_to_date.meals)

    @property
    def subsidy_change(self) -> float | None:
        return self.change(self.this_month.subsidy, self.last_month_to_date.subsidy)


def _month(meals: QuerySet[Meal], first: dt.date, last: dt.date) -> MonthFigures:
    sums = meals.filter(business_date__range=(first, last)).aggregate(
        meals=Count("pk"),
        subsidy=Coalesce(Sum("subsidy_fen"), 0) + Coalesce(Sum("delivery_subsidy_fen"), 0),
        elders=Count("elder_id", distinct=True),
    )
    return MonthFigures(int(sums["meals"]), int(sums["subsidy"]), int(sums["elders"]))


# The region level below each, and the path from a meal to a region at that level.
_CHILD_OF: dict[str, str] = {
    RegionLevel.CITY: "canteen__village__parent__parent",
    RegionLevel.DISTRICT: "canteen__village__parent",
    RegionLevel.TOWN: "canteen__village",
    RegionLevel.VILLAGE: "canteen__village",
}


def _area(actor: Any) -> Region | None:
    scope = scope_for(actor)
    if scope.everything:
        return Region.objects.filter(level=RegionLevel.CITY).first()
    return actor.region if scope.region_path is not None else None


def cockpit(*, actor: Any, day: dt.date) -> Cockpit:
    area = _area(actor)
    sold = meals_visible_to(actor).filter(status=MealStatus.COMPLETED)
    first = day.replace(day=1)
    last_end = first - dt.timedelta(days=1)
    last_first = last_end.replace(day=1)
    same_day_last = min(day.day, last_end.day)
    this_month = _month(sold, first, day)
    last_to_date = _month(sold, last_first, last_first.replace(day=same_day_last))
    last_month = _month(sold, last_first, last_end)

    per_day: dict[tuple[int, int], dict[str, Any]] = {
        (row["business_date"].month, row["business_date"].day): dict(row)
        for row in sold.filter(business_date__range=(last_first, day))
        .values("business_date")
        .annotate(n=Count("pk"), subsidy=Sum("subsidy_fen"))
    }
    days = list(range(1, 32))

    def counts(month_first: dt.date, until: int) -> list[float | int | None]:
        return [
            per_day.get((month_first.month, n), {}).get("n", 0) if n <= until else None
            for n in days
        ]

    daily = Chart(
        kind="line",
        categories=[pgettext("day of the month", "day %(n)s") % {"n": n} for n in days],
        series=[
            Series(month_label(first), counts(first, day.day)),
            Series(month_label(last_first), counts(last_first, last_end.day)),
        ],
        units=[pgettext("chart unit", "meals")],
    )

    child = _CHILD_OF.get(area.level if area else RegionLevel.CITY, "canteen__village")
    rows = [
        {"name": row[f"{child}__name"], "meals": row["n"], "subsidy": int(row["subsidy"] or 0)}
        for row in sold.filter(business_date__range=(first, day))
        .values(f"{child}__name", f"{child}__code")
        .annotate(n=Count("pk"), subsidy=Sum("subsidy_fen"))
        .order_by(f"{child}__code")
    ]
    by_area = Chart(
        kind="bar",
        categories=[row["name"] for row in rows],
        series=[
            Series(pgettext("chart series", "meals"), [row["meals"] for row in rows]),
            Series(
                pgettext("chart series", "subsidy"), [row["subsidy"] / 100 for row in rows], axis=1
            ),
        ],
        units=[pgettext("chart unit", "meals"), pgettext("chart unit", "yuan")],
        decimals=[0, 2],
    )
    canteens = canteens_visible_to(actor)
    return Cockpit(
        area=area,
        day=day,
        this_month=this_month,
        last_month_to_date=last_to_date,
        last_month=last_month,
        daily=daily,
        by_area=by_area,
        by_area_rows=rows,
        coverage=coverage_report(actor=actor, day=day) if may_see_coverage(actor) else None,
        canteens_open=canteens.filter(status=CanteenStatus.OPEN).count(),
        canteens_total=canteens.count(),
        elders=elder_counts(actor=actor, day=day) if has_cap(actor, Cap.ELDER_VIEW) else None,
        alerts_open=alerts_for(actor).count() if has_cap(actor, Cap.ALERT_CLOSE) else None,
        anomalies_open=AnomalyCase.objects.filter(
            scope_for(actor).region_q("scope_path"), resolved_at__isnull=True
        ).count()
        if has_cap(actor, Cap.ANOMALY_REVIEW)
        else None,
        reviews_waiting=list(open_reviews(actor).select_related("canteen", "period")[:8]),
    )


def exports_offered(user: Any) -> dict[str, bool]:
    """Which lists this user may take away as Excel."""
    return {
        "elders": has_cap(user, Cap.ELDER_VIEW),
        "meals": has_cap(user, Cap.MEAL_VIEW) and user.role != Role.CASHIER,
        "alerts": has_cap(user, Cap.ALERT_CLOSE),
        "coverage": may_see_coverage(user),
    }
