"""Reads of the service network. Coverage is computed for the whole city (a circle does not
stop at a village's edge) and shown to each actor inside their scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count
from shapely.geometry.base import BaseGeometry

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.canteens.models import Canteen, CanteenStatus
from tongzhou.core import clock
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.geo import shapes
from tongzhou.geo.models import Island, Region, RegionLevel
from tongzhou.network import coverage as calc
from tongzhou.network.models import (
    BuildPlan,
    CircleProfile,
    Facility,
    FacilityKind,
    FacilityStatus,
    IslandTierRule,
    RotaVisit,
)
from tongzhou.network.routing import reach
from tongzhou.network.tiers import TIER_FACILITIES, TIER_NAMES, IslandFacts, Tier, tier_of
from tongzhou.oversight.models import Application, ApplicationStatus

# The islands of the county seats (岱山县 at 高亭镇, 嵊泗县 at 菜园镇): central islands.
COUNTY_SEAT_TOWNS = ("330921100", "330922100")


def profile_for(code: str | None = None) -> CircleProfile:
    profiles = CircleProfile.objects.all()
    found = profiles.filter(code=code).first() if code else None
    return found or profiles.filter(is_default=True).first() or profiles.first()  # type: ignore[return-value]


def tier_rule() -> IslandTierRule:
    """The rule the migration seeds (its defaults, unsaved, if the row has been removed)."""
    return IslandTierRule.objects.order_by("pk").first() or IslandTierRule()


def outlines_in_plane() -> dict[int, BaseGeometry]:
    return {
        pk: shapes.to_plane(shapes.from_geojson(outline))
        for pk, outline in Island.objects.filter(outline__isnull=False).values_list("pk", "outline")
    }


def homes() -> list[calc.Home]:
    """Active elders grouped by where they live: their own home's point where one is known
    (a meal profile's), else their village's."""
    rows = (
        Elder.objects.filter(status=ElderStatus.ACTIVE)
        .order_by()
        .values(
            "residence_id",
            "residence__island_id",
            "residence__lon",
            "residence__lat",
            "meal_profile__home_lon",
            "meal_profile__home_lat",
        )
        .annotate(n=Count("pk"))
    )
    found = []
    for row in rows:
        lon = row["meal_profile__home_lon"] or row["residence__lon"]
        lat = row["meal_profile__home_lat"] or row["residence__lat"]
        if lon is None or lat is None:
            continue
        island = row["residence__island_id"]
        found.append(calc.Home(row["residence_id"], island, lon, lat, row["n"]))
    return found


def sites(core_kinds: list[str]) -> list[calc.Site]:
    """Operating facilities offering a core service, and open canteens (they offer meals)."""
    found = []
    facilities = Facility.objects.filter(status=FacilityStatus.OPERATING).select_related("village")
    for facility in facilities:
        if not set(facility.services) & set(core_kinds):
            continue
        lon = facility.lon if facility.lon is not None else facility.village.lon
        lat = facility.lat if facility.lat is not None else facility.village.lat
        if lon is None or lat is None:
            continue
        found.append(
            calc.Site(
                f"facility:{facility.pk}",
                facility.name,
                facility.kind,
                lon,
                lat,
                facility.village.island_id,
                tuple(facility.services),
            )
        )
    if "meals" in core_kinds:
        for canteen in Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("village"):
            found.append(
                calc.Site(
                    f"canteen:{canteen.pk}",
                    canteen.name,
                    "canteen",
                    canteen.lon,
                    canteen.lat,
                    canteen.village.island_id,
                    ("meals",),
                )
            )
    return found


@dataclass
class Tally:
    elders: int = 0
    covered: int = 0

    @property
    def share(self) -> float | None:
        return self.covered / self.elders if self.elders else None

    @property
    def uncovered(self) -> int:
        return self.elders - self.covered


@dataclass
class Coverage:
    profile: CircleProfile
    method: str
    homes: list[calc.Home]
    covered: np.ndarray
    sites: list[calc.Site]
    areas: list[BaseGeometry]
    villages: dict[int, Tally] = field(default_factory=dict)


def city_coverage(profile: CircleProfile) -> Coverage:
    """Every home against every site's reach, once for the city."""
    where = outlines_in_plane()
    places = sites(list(profile.core_kinds))
    areas = calc.areas(places, profile.radius_m, where, reach())
    found = homes()
    hit = calc.covered(found, places, areas)
    villages: dict[int, Tally] = defaultdict(Tally)
    for home, ok in zip(found, hit.tolist(), strict=True):
        tally = villages[home.village_id]
        tally.elders += home.elders
        tally.covered += home.elders if ok else 0
    return Coverage(profile, reach().label, found, hit, places, areas, dict(villages))


@dataclass(frozen=True)
class UnitRow:
    region: Region
    tally: Tally


@dataclass(frozen=True)
class CoverageReport:
    coverage: Coverage
    villages: list[UnitRow]
    towns: list[UnitRow]
    districts: list[UnitRow]
    islands: list[tuple[Island, Tally]]
    total: Tally


def coverage_report(actor: Any, profile: CircleProfile) -> CoverageReport:
    """Shares of elders covered per village, town, district and island, inside the actor's
    scope (sums of elders, never averages of shares)."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务网络", "see the service network")
    found = city_coverage(profile)
    scope = scope_for(actor)
    regions = {
        r.pk: r for r in Region.objects.filter(scope.region_q("path")).select_related("island")
    }
    villages = [
        UnitRow(r, found.villages.get(pk, Tally()))
        for pk, r in regions.items()
        if r.level == RegionLevel.VILLAGE
    ]
    by_parent: dict[int, Tally] = defaultdict(Tally)
    by_island: dict[int, Tally] = defaultdict(Tally)
    by_district: dict[int, Tally] = defaultdict(Tally)
    total = Tally()
    towns = {r.pk: r for r in regions.values() if r.level == RegionLevel.TOWN}
    for row in villages:
        region = row.region
        for bucket in (by_parent[region.parent_id or 0], by_island[region.island_id or 0], total):
            bucket.elders += row.tally.elders
            bucket.covered += row.tally.covered
    # Only whole towns and districts are summed: a village worker's figures are their village's.
    for town_pk, tally in by_parent.items():
        town = towns.get(town_pk)
        if town is not None and town.parent_id in regions:
            district = by_district[town.parent_id]
            district.elders += tally.elders
            district.covered += tally.covered
    islands = Island.objects.in_bulk(list(by_island))
    districts = {pk: regions[pk] for pk in by_district}
    return CoverageReport(
        coverage=found,
        villages=sorted(villages, key=lambda row: (-row.tally.uncovered, row.region.code)),
        towns=sorted(
            (UnitRow(towns[pk], t) for pk, t in by_parent.items() if pk in towns),
            key=lambda row: row.region.code,
        ),
        districts=sorted(
            (UnitRow(districts[pk], t) for pk, t in by_district.items()),
            key=lambda row: row.region.code,
        ),
        islands=sorted(
            ((islands[pk], t) for pk, t in by_island.items() if pk in islands),
            key=lambda pair: -pair[1].elders,
        ),
        total=total,
    )


@dataclass(frozen=True)
class NewSite:
    village: Region
    elders_gained: int


def new_site_suggestions(actor: Any, profile: CircleProfile, how_many: int = 5) -> list[NewSite]:
    """Where `how_many` new stations (at village centres in the actor's scope) would cover
    the most elders not covered today."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务网络", "see the service network")
    found = city_coverage(profile)
    scope = scope_for(actor)
    gaps = [home for home, ok in zip(found.homes, found.covered.tolist(), strict=True) if not ok]
    candidates_q = Region.objects.filter(
        scope.region_q("path"),
        level=RegionLevel.VILLAGE,
        lon__isnull=False,
        lat__isnull=False,
        pk__in={home.village_id for home in gaps},
    )
    villages = list(candidates_q)
    candidates = [
        calc.Site(
            f"village:{v.pk}", v.name, "candidate", v.lon or 0.0, v.lat or 0.0, v.island_id, ()
        )
        for v in villages
    ]
    areas = calc.areas(candidates, profile.radius_m, outlines_in_plane(), reach())
    chosen = calc.best_sites(gaps, candidates, areas, how_many)
    return [NewSite(villages[choice.candidate], choice.newly_covered) for choice in chosen]


@dataclass(frozen=True)
class IslandRow:
    island: Island
    tier: str
    reason: str
    elders: int
    facilities: list[Facility]
    missing: str  # what the tier needs and the island lacks, in words ("" when nothing)

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]


def island_rows(actor: Any) -> list[IslandRow]:
    """Every island with its tier, why, its elders and what it lacks, in the actor's scope
    (an island is shown where one of its villages is)."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务网络", "see the service network")
    rule = tier_rule()
    scope = scope_for(actor)
    visible = set(
        Region.objects.filter(scope.region_q("path"), level=RegionLevel.VILLAGE).values_list(
            "island_id", flat=True
        )
    )
    elders = dict(
        Elder.objects.filter(status=ElderStatus.ACTIVE)
        .order_by()
        .values("residence__island_id")
        .annotate(n=Count("pk"))
        .values_list("residence__island_id", "n")
    )
    seats = set(
        Region.objects.filter(code__in=COUNTY_SEAT_TOWNS).values_list("island_id", flat=True)
    )
    facilities: dict[int, list[Facility]] = defaultdict(list)
    for facility in Facility.objects.exclude(status=FacilityStatus.CLOSED).select_related(
        "village"
    ):
        facilities[facility.village.island_id or 0].append(facility)
    rows = []
    for island in Island.objects.filter(pk__in=visible):
        facts = IslandFacts(
            island.name,
            island.is_main_island,
            island.fixed_link,
            island.has_town,
            island.pk in seats,
            elders.get(island.pk, 0),
        )
        tier, reason = tier_of(facts, compact_min_elders=rule.compact_min_elders)
        here = facilities.get(island.pk, [])
        rows.append(IslandRow(island, tier, reason, facts.elders, here, _missing(tier, here)))
    return sorted(
        rows, key=lambda row: (row.missing == "", list(TIER_ORDER).index(row.tier), -row.elders)
    )


TIER_ORDER = (Tier.YIJIA, Tier.COMPACT, Tier.MOBILE, Tier.CIRCLE, Tier.NONE)
KIND_WORDS = {"yijia": "幸福驿家", "yijia_compact": "浓缩版幸福驿家"}


def _missing(tier: str, here: list[Facility]) -> str:
    wanted = TIER_FACILITIES.get(tier)
    if not wanted:
        return ""
    operating = [f for f in here if f.kind in wanted and f.status == FacilityStatus.OPERATING]
    if operating:
        return ""
    coming = [f for f in here if f.kind in wanted]
    need = KIND_WORDS[wanted[0]]
    if coming:
        return f"缺{need}（{coming[0].get_status_display()}）"
    return f"缺{need}"


@dataclass(frozen=True)
class PlanRow:
    plan: BuildPlan
    done: int
    underway: int

    @property
    def kind_name(self) -> str:
        if self.plan.kind == "canteen":
            return "幸福食堂"
        return str(FacilityKind(self.plan.kind).label) if self.plan.kind in FacilityKind else ""


def plan_progress(actor: Any, year: int | None = None) -> list[PlanRow]:
    """Each build plan of the year against the facilities opened in it (in the plan's
    region), and those being built."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务网络", "see the service network")
    year = year or clock.today().year
    scope = scope_for(actor)
    plans = BuildPlan.objects.filter(year=year).select_related("region")
    rows = []
    for plan in plans:
        # A district sees its own plans and the city's; the city sees them all.
        inside = scope.contains_path(plan.region.path)
        above = bool(scope.region_path) and str(scope.region_path).startswith(plan.region.path)
        if not (inside or above):
            continue
        if plan.kind == "canteen":
            opened = Canteen.objects.filter(
                village__path__startswith=plan.region.path,
                status=CanteenStatus.OPEN,
                opened_on__year=year,
            ).count()
            # Registered but not open, and applications on their way to acceptance.
            underway = (
                Canteen.objects.filter(
                    village__path__startswith=plan.region.path, status=CanteenStatus.PLANNED
                ).count()
                + Application.objects.filter(
                    village__path__startswith=plan.region.path,
                    status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.TOWN_PASSED],
                ).count()
            )
        else:
            mine = Facility.objects.filter(
                kind=plan.kind, village__path__startswith=plan.region.path
            )
            opened = mine.filter(status=FacilityStatus.OPERATING, opened_on__year=year).count()
            underway = mine.filter(status=FacilityStatus.BUILDING).count()
        rows.append(PlanRow(plan, opened, underway))
    return rows


def district_names() -> dict[str, str]:
    return dict(Region.objects.filter(level=RegionLevel.DISTRICT).values_list("code", "name"))


@dataclass(frozen=True)
class RotaDay:
    county: Region
    day: dt.date
    trip: int
    route: list[str]
    minutes: int
    over_a_day: bool
    visits: list[Any]  # RotaVisit, in visiting order


@dataclass(frozen=True)
class RotaMonth:
    days: list[RotaDay]
    unplanned: list[IslandRow]  # mobile-tier islands the month does not visit


def rota_month(actor: Any, month: dt.date) -> RotaMonth:
    """The mobile teams' month inside the actor's scope, by day and trip, and the islands of
    the mobile tier it leaves out (no link known to reach them, or not planned yet)."""
    require_cap(actor, Cap.CARE_VIEW, "查看流动服务站行程", "see the mobile teams' month")
    scope = scope_for(actor)
    visible = set(
        Region.objects.filter(scope.region_q("path"), level=RegionLevel.VILLAGE).values_list(
            "island_id", flat=True
        )
    )
    visits = (
        RotaVisit.objects.filter(month=f"{month:%Y%m}", island_id__in=visible)
        .select_related("county", "island", "done_by")
        .order_by("county__code", "day", "trip", "seq")
    )
    days: dict[tuple[int, dt.date, int], RotaDay] = {}
    for visit in visits:
        key = (visit.county_id, visit.day, visit.trip)
        if key not in days:
            days[key] = RotaDay(visit.county, visit.day, visit.trip, list(visit.route),
                                visit.trip_minutes, visit.over_a_day, [])  # fmt: skip
        days[key].visits.append(visit)
    planned = {visit.island_id for visit in visits}
    unplanned = [row for row in island_rows(actor)
                 if row.tier == Tier.MOBILE and row.island.pk not in planned]  # fmt: skip
    return RotaMonth(list(days.values()), unplanned)
