"""The computations behind the computed indicators, each over the platform's own data for a
period: a mapping from a region's path (the lowest level the figure is known at: a village, or
a district where that is where it lives) to (numerator, denominator). The board sums them up
the tree for every unit, so a rate is always a sum over a sum. The board reads every domain
app; none reads the board."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from tongzhou.accounts.models import User
from tongzhou.canteens.models import Canteen, CanteenStatus
from tongzhou.care.models import OrderStatus, ServiceOrder
from tongzhou.core.periods import bounds
from tongzhou.coverage.selectors import coverage_report
from tongzhou.discovery.models import DiscoveryCase
from tongzhou.elders.models import CategoryMembership, Elder, ElderStatus
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.meals.models import Meal, MealStatus
from tongzhou.network.models import Facility, FacilityStatus, TrainingAttendance, TrainingSession
from tongzhou.network.selectors import city_coverage, profile_for
from tongzhou.network.workforce import certified_carers, workforce
from tongzhou.oversight.models import MealRating
from tongzhou.oversight.selectors import complete_days
from tongzhou.visits.selectors import due_and_visited

Figures = dict[str, tuple[float, float | None]]
ALL_LEVELS = ("city", "district", "town", "village")


@dataclass(frozen=True)
class Computation:
    function: Callable[[dt.date, dt.date], Figures]
    levels: tuple[str, ...] = ALL_LEVELS  # the levels the figure means something at


REGISTRY: dict[str, Computation] = {}


def registered(name: str, *, levels: tuple[str, ...] = ALL_LEVELS) -> Callable[[Any], Any]:
    def keep(function: Callable[[dt.date, dt.date], Figures]) -> Callable[..., Figures]:
        REGISTRY[name] = Computation(function, levels)
        return function

    return keep


def system_reader() -> User:
    """The whole city, for domain selectors that ask who is reading (never saved)."""
    return User(username="board", is_superuser=True, is_active=True)


def compute(name: str, period_id: str) -> Figures:
    start, end = bounds(period_id)
    return REGISTRY[name].function(start, end)


def _counts(rows: Any, key: str, count: str = "n") -> Figures:
    return {row[key]: (float(row[count] or 0), None) for row in rows}


# --- meals and canteens -------------------------------------------------------------------


@registered("meal_coverage")
def meal_coverage(start: dt.date, end: dt.date) -> Figures:
    report = coverage_report(actor=system_reader(), day=end)
    return {
        village.village.path: (1.0 if village.covered else 0.0, 1.0)
        for district in report.districts
        for village in district.villages
    }


@registered("canteens_operating")
def canteens_operating(start: dt.date, end: dt.date) -> Figures:
    rows = (
        Canteen.objects.filter(status=CanteenStatus.OPEN, opened_on__lte=end)
        .order_by()
        .values("village__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "village__path")


@registered("canteens_new")
def canteens_new(start: dt.date, end: dt.date) -> Figures:
    rows = (
        Canteen.objects.filter(opened_on__range=(start.replace(month=1, day=1), end))
        .exclude(status=CanteenStatus.PLANNED)
        .order_by()
        .values("village__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "village__path")


@registered("canteen_records_complete")
def canteen_records_complete(start: dt.date, end: dt.date) -> Figures:
    """Days a canteen served with its kitchen's records complete ÷ days it served."""
    canteens = dict(
        Canteen.objects.exclude(status=CanteenStatus.PLANNED).values_list("pk", "village__path")
    )
    found: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for pk, (done, of) in complete_days(list(canteens), start, end).items():
        found[canteens[pk]][0] += done
        found[canteens[pk]][1] += of
    return {path: (done, of) for path, (done, of) in found.items()}


@registered("canteen_meals_satisfied")
def canteen_meals_satisfied(start: dt.date, end: dt.date) -> Figures:
    """Meals rated 满意 (4 or 5 stars) ÷ meals rated, where the canteen is."""
    rows = (
        MealRating.objects.filter(day__range=(start, end))
        .order_by()
        .values("canteen__village__path")
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(stars__gte=4)))
    )
    return {row["canteen__village__path"]: (float(row["good"]), float(row["n"])) for row in rows}


def _meals(start: dt.date, end: dt.date) -> Any:
    return Meal.objects.filter(status=MealStatus.COMPLETED, business_date__range=(start, end))


@registered("meals_served")
def meals_served(start: dt.date, end: dt.date) -> Figures:
    rows = _meals(start, end).order_by().values("canteen__village__path").annotate(n=Count("pk"))
    return _counts(rows, "canteen__village__path")


@registered("meal_subsidy")
def meal_subsidy(start: dt.date, end: dt.date) -> Figures:
    rows = (
        _meals(start, end)
        .order_by()
        .values("canteen__village__path")
        .annotate(n=Sum("subsidy_fen"))
    )
    return {row["canteen__village__path"]: ((row["n"] or 0) / 100, None) for row in rows}


# --- care, visits, discovery ------------------------------------------------------------


@registered("care_orders_done")
def care_orders_done(start: dt.date, end: dt.date) -> Figures:
    rows = (
        ServiceOrder.objects.filter(status=OrderStatus.APPROVED, business_date__range=(start, end))
        .order_by()
        .values("elder__residence__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "elder__residence__path")


@registered("visit_rate")
def visit_rate(start: dt.date, end: dt.date) -> Figures:
    """Elders due a visit whose visit falls in the period, and those of them visited in it
    (the visits' own rate's counts)."""
    return {
        row["village__path"]: (float(row["visited"]), float(row["due"]))
        for row in due_and_visited(start, end)
    }


@registered("discovery_handled")
def discovery_handled(start: dt.date, end: dt.date) -> Figures:
    rows = (
        DiscoveryCase.objects.filter(found_on__range=(start, end))
        .order_by()
        .values("village__path")
        .annotate(total=Count("pk"), done=Count("pk", filter=~Q(outcome="")))
    )
    return {row["village__path"]: (float(row["done"]), float(row["total"])) for row in rows}


def _category_count(code: str, end: dt.date) -> Figures:
    valid = Q(valid_from__lte=end) & (Q(valid_to__isnull=True) | Q(valid_to__gte=end))
    rows = (
        CategoryMembership.objects.filter(
            valid, category__code=code, elder__status=ElderStatus.ACTIVE
        )
        .order_by()
        .values("elder__residence__path")
        .annotate(n=Count("elder", distinct=True))
    )
    return _counts(rows, "elder__residence__path")


@registered("dibao_count")
def dibao_count(start: dt.date, end: dt.date) -> Figures:
    return _category_count("dibao", end)


@registered("tekun_count")
def tekun_count(start: dt.date, end: dt.date) -> Figures:
    return _category_count("tekun", end)


@registered("edge_count")
def edge_count(start: dt.date, end: dt.date) -> Figures:
    return _category_count("dibao_edge", end)


# --- the service network and its workforce ------------------------------------------------


@registered("circle_coverage")
def circle_coverage(start: dt.date, end: dt.date) -> Figures:
    found = city_coverage(profile_for())
    paths = dict(Region.objects.filter(level=RegionLevel.VILLAGE).values_list("pk", "path"))
    return {paths[pk]: (float(t.covered), float(t.elders)) for pk, t in found.villages.items()}


def _facilities(**filters: Any) -> Figures:
    rows = (
        Facility.objects.filter(**filters)
        .order_by()
        .values("village__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "village__path")


def _opened(kind: str, start: dt.date, end: dt.date) -> Figures:
    return _facilities(
        kind=kind,
        status=FacilityStatus.OPERATING,
        opened_on__range=(start.replace(month=1, day=1), end),
    )


@registered("complexes_new")
def complexes_new(start: dt.date, end: dt.date) -> Figures:
    return _opened("complex", start, end)


@registered("living_rooms_new")
def living_rooms_new(start: dt.date, end: dt.date) -> Figures:
    return _opened("living_room", start, end)


@registered("yijia_operating")
def yijia_operating(start: dt.date, end: dt.date) -> Figures:
    return _facilities(
        kind__in=["yijia", "yijia_compact"], status=FacilityStatus.OPERATING, opened_on__lte=end
    )


@registered("dementia_beds_new")
def dementia_beds_new(start: dt.date, end: dt.date) -> Figures:
    rows = (
        Facility.objects.filter(
            opened_on__range=(start.replace(month=1, day=1), end), dementia_beds__isnull=False
        )
        .order_by()
        .values("village__path")
        .annotate(n=Sum("dementia_beds"))
    )
    return _counts(rows, "village__path")


@registered("smart_terminals")
def smart_terminals(start: dt.date, end: dt.date) -> Figures:
    rows = (
        Facility.objects.filter(kind="home_care", status=FacilityStatus.OPERATING)
        .order_by()
        .values("village__path")
        .annotate(all=Count("pk"), smart=Count("pk", filter=Q(smart_terminal=True)))
    )
    return {row["village__path"]: (float(row["smart"]), float(row["all"])) for row in rows}


def _units_with(kind: str, level: str) -> Figures:
    """Each unit of `level`: 1 of 1 where an operating facility of `kind` stands in it."""
    units = list(Region.objects.filter(level=level).values_list("path", flat=True))
    having = set(
        Facility.objects.filter(kind=kind, status=FacilityStatus.OPERATING).values_list(
            "village__path", flat=True
        )
    )
    return {path: (1.0 if any(v.startswith(path) for v in having) else 0.0, 1.0) for path in units}


@registered("alliance_coverage", levels=("city", "district"))
def alliance_coverage(start: dt.date, end: dt.date) -> Figures:
    return _units_with("alliance", RegionLevel.DISTRICT)


@registered("social_work_stations", levels=("city", "district", "town"))
def social_work_stations(start: dt.date, end: dt.date) -> Figures:
    return _units_with("social_work", RegionLevel.TOWN)


@registered("carers_per_10k", levels=("city", "district"))
def carers_per_10k(start: dt.date, end: dt.date) -> Figures:
    """Certified carers where their provider is registered over the elders living there."""
    figures: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for path, n in (
        certified_carers(end)
        .order_by()
        .values("provider__region__path")
        .annotate(n=Count("pk"))
        .values_list("provider__region__path", "n")
    ):
        figures[path][0] += n
    for path, n in (
        Elder.objects.filter(status=ElderStatus.ACTIVE)
        .order_by()
        .values("residence__path")
        .annotate(n=Count("pk"))
        .values_list("residence__path", "n")
    ):
        figures[path][1] += n
    return {path: (num, den) for path, (num, den) in figures.items()}


@registered("carers_new", levels=("city", "district"))
def carers_new(start: dt.date, end: dt.date) -> Figures:
    rows = (
        certified_carers(end)
        .filter(certificate_issued__range=(start.replace(month=1, day=1), end))
        .order_by()
        .values("provider__region__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "provider__region__path")


def _workers(end: dt.date, certified_share: bool) -> Figures:
    found = workforce(system_reader(), end)
    if certified_share:
        return {
            u.region.path: (float(u.certified_workers), float(u.workers)) for u in found.villages
        }
    return {u.region.path: (float(u.workers), float(u.residents)) for u in found.villages}


@registered("workers_per_10k")
def workers_per_10k(start: dt.date, end: dt.date) -> Figures:
    return _workers(end, certified_share=False)


@registered("workers_certified_share")
def workers_certified_share(start: dt.date, end: dt.date) -> Figures:
    return _workers(end, certified_share=True)


def _sessions(start: dt.date, end: dt.date) -> Any:
    return TrainingSession.objects.filter(held_from__range=(start.replace(month=1, day=1), end))


@registered("training_sessions", levels=("city", "district"))
def training_sessions(start: dt.date, end: dt.date) -> Figures:
    rows = _sessions(start, end).order_by().values("region__path").annotate(n=Count("pk"))
    return _counts(rows, "region__path")


@registered("training_attendances", levels=("city", "district"))
def training_attendances(start: dt.date, end: dt.date) -> Figures:
    rows = (
        TrainingAttendance.objects.filter(session__in=_sessions(start, end))
        .order_by()
        .values("session__region__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "session__region__path")


@registered("training_passed", levels=("city", "district"))
def training_passed(start: dt.date, end: dt.date) -> Figures:
    rows = (
        TrainingAttendance.objects.filter(session__in=_sessions(start, end), passed=True)
        .order_by()
        .values("session__region__path")
        .annotate(n=Count("pk"))
    )
    return _counts(rows, "session__region__path")
