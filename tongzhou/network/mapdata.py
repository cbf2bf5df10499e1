"""The map's data as GeoJSON layers, each inside the actor's scope: islands by tier, villages
by coverage, facilities by kind and status, canteens, the 15-minute circles."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.urls import reverse
from shapely.geometry.base import BaseGeometry

from tongzhou.access.scope import scope_for
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.geo import shapes
from tongzhou.geo.models import Island, Region, RegionLevel
from tongzhou.network.models import CircleProfile, Facility, FacilityStatus
from tongzhou.network.selectors import coverage_report, island_rows, rota_month
from tongzhou.network.tiers import TIER_NAMES

SERVICE_WORDS = {
    "meals": "助餐", "medical": "助医", "day_care": "日间照料", "cleaning": "助洁",
    "bathing": "助浴", "nursing": "康复护理", "companionship": "精神慰藉", "personal": "生活照料",
    "respite": "喘息服务", "health": "健康服务", "legal": "法律援助", "visit": "探访关爱",
    "emergency": "紧急呼叫", "mobility": "助行",
}  # fmt: skip


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def map_layers(actor: Any, profile: CircleProfile) -> dict[str, Any]:
    report = coverage_report(actor, profile)
    scope = scope_for(actor)
    islands = island_rows(actor)
    facilities = list(
        Facility.objects.filter(scope.region_q("village__path"))
        .exclude(status=FacilityStatus.CLOSED)
        .select_related("village")
    )
    in_village: dict[int, list[str]] = defaultdict(list)
    for facility in facilities:
        in_village[facility.village_id].append(
            f"{facility.name}（{facility.get_status_display()}）"
        )
    canteens = list(
        Canteen.objects.filter(scope.canteen_q()).exclude(status="closed").select_related("village")
    )
    for canteen in canteens:
        in_village[canteen.village_id].append(f"{canteen.name}（{canteen.get_status_display()}）")
    towns = dict(Region.objects.filter(level=RegionLevel.TOWN).values_list("pk", "name"))
    elders_url = reverse("admin:elders_elder_changelist")
    village_features = [
        _feature(
            _point(row.region.lon, row.region.lat),
            code=row.region.code,
            name=row.region.name,
            town=towns.get(row.region.parent_id or 0, ""),
            elders=row.tally.elders,
            covered=row.tally.covered,
            share=None if row.tally.share is None else round(row.tally.share, 3),
            facilities=in_village.get(row.region.pk, []),
            elders_url=f"{elders_url}?town={row.region.code}",
        )
        for row in report.villages
        if row.region.lon is not None and row.region.lat is not None
    ]
    visible_sites = {f"facility:{f.pk}" for f in facilities if f.status == FacilityStatus.OPERATING}
    visible_sites |= {f"canteen:{c.pk}" for c in canteens}
    circles = [
        _feature(_degrees(area), name=site.name, kind=site.kind)
        for site, area in zip(report.coverage.sites, report.coverage.areas, strict=True)
        if site.key in visible_sites and not area.is_empty
    ]
    return {
        "profile": {
            "code": profile.code,
            "name": profile.name_zh,
            "radius_m": profile.radius_m,
            "how": profile.how,
        },
        "method": report.coverage.method,
        "islands": _collection(
            [
                _feature(
                    row.island.outline,
                    name=row.island.name,
                    tier=row.tier,
                    tier_name=TIER_NAMES[row.tier],
                    reason=row.reason,
                    elders=row.elders,
                    missing=row.missing,
                    outline=row.island.outline_source,
                )
                for row in islands
                if row.island.outline
            ]
        ),
        "villages": _collection(village_features),
        "facilities": _collection(
            [
                _feature(
                    _point(*_where(f)),
                    name=f.name,
                    kind=f.kind,
                    kind_name=f.get_kind_display(),
                    status=f.status,
                    status_name=f.get_status_display(),
                    services="、".join(SERVICE_WORDS.get(s, s) for s in f.services),
                )
                for f in facilities
                if _where(f)[0] is not None
            ]
        ),
        "canteens": _collection(
            [
                _feature(
                    _point(c.lon, c.lat),
                    name=c.name,
                    status=c.status,
                    status_name=c.get_status_display(),
                )
                for c in canteens
            ]
        ),
        "circles": _collection(circles),
        "rota": _collection(_rota_lines(actor)),
    }


def _rota_lines(actor: Any) -> list[dict[str, Any]]:
    """This month's trips of the mobile teams, as lines through the islands they pass."""
    month = rota_month(actor, clock.today().replace(day=1))
    centres = {
        island.name: (island.centroid_lon or 0.0, island.centroid_lat or 0.0)
        for island in Island.objects.filter(centroid_lon__isnull=False)
    }
    seen: set[tuple[str, ...]] = set()
    lines = []
    for day in month.days:
        route = tuple(day.route)
        points = [centres[name] for name in route if name in centres]
        if route in seen or len(points) < 2:
            continue
        seen.add(route)
        lines.append(_feature(
            {"type": "LineString", "coordinates": [[round(x, 5), round(y, 5)] for x, y in points]},
            route=" → ".join(route), county=day.county.name, minutes=day.minutes,
        ))  # fmt: skip
    return lines


def _where(facility: Facility) -> tuple[Any, Any]:
    if facility.lon is not None and facility.lat is not None:
        return facility.lon, facility.lat
    return facility.village.lon, facility.village.lat


def _degrees(area: BaseGeometry) -> dict[str, Any]:
    """A reach drawn in degrees, simplified to about 10 m (the map needs no more)."""
    return shapes.as_geojson(shapes.to_degrees(area.simplify(10)))
