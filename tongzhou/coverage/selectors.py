"""助餐配送餐服务村(社区)覆盖率: is meal service reaching each village and community?

A village counts as covered, from live data, when an open canteen is in it, an open canteen
on the same island is within walking reach of it, or meals were delivered to one of its
elders in the last 30 days. Every uncovered village carries the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.bookings.models import Booking, BookingStatus
from tongzhou.bookings.routing import DETOUR, metres
from tongzhou.canteens.models import Canteen, CanteenStatus
from tongzhou.core.errors import PermissionDenied
from tongzhou.geo.models import Region, RegionLevel

REACH_KM = 1.5  # about 15 minutes' walk for an older person: the 15-minute service circle
DELIVERY_DAYS = 30


@dataclass
class VillageCoverage:
    village: Region
    covered: bool
    how: str  # "canteen_here", "canteen_near", "delivery" or ""
    nearest: Canteen | None
    nearest_km: float | None
    deliveries: int
    reason_zh: str = ""
    reason_en: str = ""


class _Rate:
    """Covered villages out of all, for a district or the whole report."""

    @property
    def total(self) -> int:
        raise NotImplementedError

    @property
    def covered(self) -> int:
        raise NotImplementedError

    @property
    def rate(self) -> float:
        return self.covered / self.total if self.total else 0.0

    @property
    def percent(self) -> float:
        return round(self.rate * 100, 2)


@dataclass
class DistrictCoverage(_Rate):
    district: Region
    villages: list[VillageCoverage] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.villages)

    @property
    def covered(self) -> int:
        return sum(1 for v in self.villages if v.covered)

    @property
    def uncovered(self) -> list[VillageCoverage]:
        return [v for v in self.villages if not v.covered]


@dataclass
class CoverageReport(_Rate):
    day: dt.date
    districts: list[DistrictCoverage]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.districts)

    @property
    def covered(self) -> int:
        return sum(d.covered for d in self.districts)


def _straight_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return metres(a, b) / DETOUR / 1000


def may_see_coverage(user: Any) -> bool:
    """Staff of an area (not of one canteen) see the coverage of their area."""
    return has_cap(user, Cap.CANTEEN_VIEW) and scope_for(user).canteen_id is None


def coverage_report(*, actor: Any, day: dt.date) -> CoverageReport:
    if not may_see_coverage(actor):
        raise PermissionDenied("查看覆盖率", "see coverage")
    villages = list(
        Region.objects.filter(scope_for(actor).region_q("path"), level=RegionLevel.VILLAGE)
        .select_related("island", "parent__parent")
        .order_by("code")
    )
    canteens = list(Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("island"))
    since = day - dt.timedelta(days=DELIVERY_DAYS - 1)
    delivered = dict(
        Booking.objects.filter(status=BookingStatus.DELIVERED, date__range=(since, day))
        .values_list("elder__residence_id")
        .annotate(n=Count("pk"))
        .values_list("elder__residence_id", "n")
    )
    districts: dict[int, DistrictCoverage] = {}
    for village in villages:
        district = village.parent.parent if village.parent else None  # village → town → district
        assert district is not None
        row = districts.setdefault(district.pk, DistrictCoverage(district))
        row.villages.append(_village(village, canteens, delivered.get(village.pk, 0)))
    return CoverageReport(day, sorted(districts.values(), key=lambda d: d.district.code))


def _village(village: Region, canteens: list[Canteen], deliveries: int) -> VillageCoverage:
    point = (village.lon or 0.0, village.lat or 0.0)
    same_island = [c for c in canteens if c.island_id == village.island_id]
    nearest, nearest_km = None, None
    for canteen in same_island:
        km = _straight_km(point, (canteen.lon, canteen.lat))
        if nearest_km is None or km < nearest_km:
            nearest, nearest_km = canteen, km
    here = any(c.village_id == village.pk for c in canteens)
    if here:
        return VillageCoverage(village, True, "canteen_here", nearest, nearest_km, deliveries)
    if nearest_km is not None and nearest_km <= REACH_KM:
        return VillageCoverage(village, True, "canteen_near", nearest, nearest_km, deliveries)
    if deliveries:
        return VillageCoverage(village, True, "delivery", nearest, nearest_km, deliveries)
    if nearest is None:
        zh = "本岛没有营业中的食堂，近30天也没有送餐"
        en = "no open canteen on this island and no deliveries in the last 30 days"
    else:
        zh = f"最近的食堂“{nearest.name}”约{nearest_km:.1f}公里，超出步行范围，近30天没有送餐"
        en = (
            f"nearest canteen ({nearest.name}) is {nearest_km:.1f} km away, beyond walking "
            "reach, and no deliveries in the last 30 days"
        )
    return VillageCoverage(village, False, "", nearest, nearest_km, 0, zh, en)


HOW_LABELS = {
    "canteen_here": _("a canteen in the village"),
    "canteen_near": _("a canteen within walking reach"),
    "delivery": _("meals delivered lately"),
    "": _("not covered"),
}


@dataclass
class AreaRate(_Rate):
    """Covered villages of one district or town, for the chart and the table."""

    name: str
    code: str
    villages: int = 0
    covered_villages: int = 0

    @property
    def total(self) -> int:
        return self.villages

    @property
    def covered(self) -> int:
        return self.covered_villages


@dataclass
class CoverageView:
    """The villages a filter picks out of a report, and the rates of the areas below."""

    villages: list[VillageCoverage]
    areas: list[AreaRate]
    districts: list[Region]
    towns: list[Region]
    islands: list[Any]


def coverage_filtered(
    report: CoverageReport,
    *,
    district: str = "",
    town: str = "",
    island: str = "",
    status: str = "",
) -> CoverageView:
    """Narrow a report by district, town (codes), island (id) and covered or not. The areas
    are the districts, or the towns of the chosen district."""
    everything = [v for d in report.districts for v in d.villages]
    picked = [
        v
        for v in everything
        if (not district or v.village.code.startswith(district))
        and (not town or v.village.code.startswith(town))
        and (not island or str(v.village.island_id) == island)
        and (status != "covered" or v.covered)
        and (status != "uncovered" or not v.covered)
    ]
    areas: dict[str, AreaRate] = {}
    for v in everything:
        if island and str(v.village.island_id) != island:
            continue
        if district:
            if not v.village.code.startswith(district):
                continue
            area = v.village.parent
        else:
            area = v.village.parent.parent if v.village.parent else None
        assert area is not None
        row = areas.setdefault(area.code, AreaRate(area.name, area.code))
        row.villages += 1
        row.covered_villages += int(v.covered)
    towns = sorted(
        {v.village.parent.code: v.village.parent for v in everything if v.village.parent}.values(),
        key=lambda r: r.code,
    )
    islands = sorted(
        {v.village.island_id: v.village.island for v in everything if v.village.island}.values(),
        key=lambda i: i.name,
    )
    return CoverageView(
        villages=picked,
        areas=sorted(areas.values(), key=lambda a: a.code),
        districts=[d.district for d in report.districts],
        towns=[t for t in towns if not district or t.code.startswith(district)],
        islands=islands,
    )
