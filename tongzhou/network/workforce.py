"""The workforce's figures per unit: certified carers per 10,000 elders and those certified
this year, the training programme's sessions, attendances and passes, full-time community
workers per 10,000 residents and their certified share, and who qualifies for the special-post
allowance. Rates are sums of counts over sums of people, never averages of rates."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Q

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.care.models import Carer
from tongzhou.core import clock
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.network.models import (
    AllowanceRule,
    CommunityWorker,
    Facility,
    TrainingAttendance,
    TrainingSession,
    VillagePopulation,
)

POPULATION = (
    Path(__file__).resolve().parents[1] / "geo" / "data" / "source" / "zhoushan_population.csv"
)


@cache
def district_residents() -> dict[str, tuple[int, int]]:
    """Each district's latest published resident population: code → (people, year)."""
    found: dict[str, tuple[int, int]] = {}
    with POPULATION.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            if row["indicator"] != "resident_population" or len(row["code"]) != 6:
                continue
            year, people = int(row["year"]), int(float(row["value"]))
            if row["code"] not in found or found[row["code"]][1] < year:
                found[row["code"]] = (people, year)
    return found


@dataclass
class Unit:
    region: Region
    elders: int = 0
    residents: int = 0
    residents_estimated: bool = False
    carers: int = 0
    workers: int = 0
    certified_workers: int = 0

    @property
    def carers_per_10k_elders(self) -> float | None:
        return self.carers * 10_000 / self.elders if self.elders else None

    @property
    def workers_per_10k_residents(self) -> float | None:
        return self.workers * 10_000 / self.residents if self.residents else None

    @property
    def certified_share(self) -> float | None:
        return self.certified_workers / self.workers if self.workers else None


@dataclass
class Workforce:
    day: dt.date
    districts: list[Unit]
    towns: list[Unit]
    villages: list[Unit]
    total: Unit
    carers_new_this_year: int
    sessions: int
    attendances: int
    passed: int
    dementia_beds_new_this_year: int
    allowance: list[tuple[Carer, int]] = field(default_factory=list)


def certified_carers(day: dt.date) -> Any:
    return (
        Carer.objects.filter(is_active=True)
        .exclude(certificate_level="")
        .filter(Q(certificate_expires__isnull=True) | Q(certificate_expires__gte=day))
    )


def workforce(actor: Any, day: dt.date | None = None) -> Workforce:
    require_cap(actor, Cap.CARE_VIEW, "查看队伍建设", "see the workforce")
    day = day or clock.today()
    scope = scope_for(actor)
    regions = {r.pk: r for r in Region.objects.filter(scope.region_q("path"))}
    elders = dict(
        Elder.objects.filter(status=ElderStatus.ACTIVE, residence_id__in=list(regions))
        .order_by().values("residence_id").annotate(n=Count("pk"))
        .values_list("residence_id", "n")
    )  # fmt: skip
    units: dict[int, Unit] = {pk: Unit(region) for pk, region in regions.items()}
    # Residents: the bureau's figure per village, else the district's shared out by elders.
    given = dict(VillagePopulation.objects.values_list("village_id", "residents"))
    district_elders: dict[str, int] = defaultdict(int)
    for row in Elder.objects.filter(status=ElderStatus.ACTIVE).order_by().values(
        "residence__path"
    ).annotate(n=Count("pk")):  # fmt: skip
        district_elders[row["residence__path"].split("/")[1]] += row["n"]
    people = district_residents()
    active = Q(until__isnull=True) | Q(until__gt=day)
    workers = dict(
        CommunityWorker.objects.filter(active).order_by().values("village_id")
        .annotate(n=Count("pk")).values_list("village_id", "n")
    )  # fmt: skip
    certified = dict(
        CommunityWorker.objects.filter(active, certified=True).order_by().values("village_id")
        .annotate(n=Count("pk")).values_list("village_id", "n")
    )  # fmt: skip
    for pk, unit in units.items():
        if unit.region.level != RegionLevel.VILLAGE:
            continue
        unit.elders = elders.get(pk, 0)
        district = unit.region.path.split("/")[1]
        if pk in given:
            unit.residents = given[pk]
        elif district in people and district_elders[district]:
            unit.residents = round(people[district][0] * unit.elders / district_elders[district])
            unit.residents_estimated = True
        unit.workers, unit.certified_workers = workers.get(pk, 0), certified.get(pk, 0)
    # Villages add up into their towns and districts; carers count where their provider is.
    for unit in [u for u in units.values() if u.region.level == RegionLevel.VILLAGE]:
        for parent in _ancestors(unit.region, units):
            parent.elders += unit.elders
            parent.residents += unit.residents
            parent.residents_estimated |= unit.residents_estimated
            parent.workers += unit.workers
            parent.certified_workers += unit.certified_workers
    carers = certified_carers(day).select_related("provider__region")
    for carer in carers:
        for unit in units.values():
            if unit.region.level in (RegionLevel.DISTRICT, RegionLevel.CITY) and (
                carer.provider.region.path.startswith(unit.region.path)
            ):
                unit.carers += 1
    total = Unit(Region(name="合计"))
    for unit in units.values():
        if unit.region.level == RegionLevel.DISTRICT:
            for name in ("elders", "residents", "carers", "workers", "certified_workers"):
                setattr(total, name, getattr(total, name) + getattr(unit, name))
            total.residents_estimated |= unit.residents_estimated
    year_start = day.replace(month=1, day=1)
    sessions = TrainingSession.objects.filter(
        scope.region_q("region__path") | Q(region__level=RegionLevel.CITY),
        held_from__gte=year_start, held_from__lte=day,
    )  # fmt: skip
    attendances = TrainingAttendance.objects.filter(session__in=sessions)
    opened = Facility.objects.filter(
        scope.region_q("village__path"), opened_on__gte=year_start, opened_on__lte=day
    )
    new_beds = sum(beds or 0 for beds in opened.values_list("dementia_beds", flat=True))

    def by_level(level: str) -> list[Unit]:
        return sorted((u for u in units.values() if u.region.level == level),
                      key=lambda u: u.region.code)  # fmt: skip

    return Workforce(
        day=day,
        districts=by_level(RegionLevel.DISTRICT),
        towns=by_level(RegionLevel.TOWN),
        villages=by_level(RegionLevel.VILLAGE),
        total=total,
        carers_new_this_year=carers.filter(certificate_issued__gte=year_start).count(),
        sessions=sessions.count(),
        attendances=attendances.count(),
        passed=attendances.filter(passed=True).count(),
        dementia_beds_new_this_year=new_beds,
        # Who is paid what is for those who review the providers, inside their area.
        allowance=allowances([c for c in carers if _serves(c, scope)], day)
        if has_cap(actor, Cap.CARE_REVIEW)
        else [],
    )


def _serves(carer: Carer, scope: Any) -> bool:
    """A carer is the actor's to see where their provider's area is inside the actor's, or
    holds it (a city-wide provider serves every district)."""
    path = carer.provider.region.path
    return scope.contains_path(path) or str(scope.region_path or "").startswith(path)


def _ancestors(region: Region, units: dict[int, Unit]) -> list[Unit]:
    found, parent_id = [], region.parent_id
    while parent_id is not None and parent_id in units:
        found.append(units[parent_id])
        parent_id = units[parent_id].region.parent_id
    return found


def allowances(carers: Any, day: dt.date) -> list[tuple[Carer, int]]:
    """Each certified carer's monthly special-post allowance (fen) under the rules in force:
    the richest rule their level and years in post meet; those meeting none are left out."""
    rules = list(AllowanceRule.objects.filter(valid_from__lte=day))
    found = []
    for carer in carers:
        years = (day - carer.in_post_since).days // 365 if carer.in_post_since else 0
        level = carer.certificate_level
        amounts = [
            r.monthly_fen for r in rules if r.certificate_level == level and years >= r.min_years
        ]
        if amounts:
            found.append((carer, max(amounts)))
    return found
