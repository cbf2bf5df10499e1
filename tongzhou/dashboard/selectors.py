"""What the home page shows: counts for the signed-in user's own area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.canteens.models import Canteen
from tongzhou.canteens.selectors import canteens_visible_to
from tongzhou.elders.selectors import elder_counts
from tongzhou.geo.models import Island, Region, RegionLevel


@dataclass
class AreaSummary:
    area_name: str
    region: Region | None
    canteen: Canteen | None
    villages: int
    islands: int
    canteens_by_status: list[dict[str, Any]]
    canteens_total: int
    elders: dict[str, Any] | None


def area_summary(*, actor: Any, day: dt.date) -> AreaSummary:
    scope = scope_for(actor)
    region: Region | None = None
    canteen: Canteen | None = None
    if scope.everything:
        region = Region.objects.filter(level=RegionLevel.CITY).first()
    elif scope.region_path is not None:
        region = actor.region
    elif scope.canteen_id is not None:
        canteen = actor.canteen

    if region is not None:
        villages_qs = Region.objects.within(region).villages()
        villages = villages_qs.count()
        islands = Island.objects.filter(regions__in=villages_qs).distinct().count()
        area_name = region.name
    else:
        villages = islands = 0
        area_name = canteen.name if canteen else ""

    canteens = canteens_visible_to(actor)
    labels = dict(Canteen._meta.get_field("status").choices or [])
    by_status: list[dict[str, Any]] = [
        {"status": row["status"], "n": row["n"], "label": labels.get(row["status"], row["status"])}
        for row in canteens.values("status").annotate(n=Count("id")).order_by("status")
    ]
    elders = elder_counts(actor=actor, day=day) if has_cap(actor, Cap.ELDER_VIEW) else None
    return AreaSummary(
        area_name=area_name,
        region=region,
        canteen=canteen,
        villages=villages,
        islands=islands,
        canteens_by_status=by_status,
        canteens_total=sum(row["n"] for row in by_status),
        elders=elders,
    )
