"""How far 15 minutes reach from a place, behind one interface.

No road network for Zhoushan can be had offline, so the default is a labelled approximation:
a straight-line circle of the profile's radius, clipped to the island's land (nobody walks
across the sea). A real road graph (pgRouting's `pgr_drivingDistance` over a road table, OSRM,
a networkx graph of the bureau's own paths) replaces it by naming another class in
`TONGZHOU["NETWORK_REACH"]`: callers only ever ask `reach().area(...)`."""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from shapely.geometry.base import BaseGeometry

from tongzhou.geo import shapes

DEFAULT_REACH = "tongzhou.network.routing.StraightLineClipped"


class Reach(Protocol):
    label: str

    def area(
        self, lon: float, lat: float, radius_m: float, island: BaseGeometry | None
    ) -> BaseGeometry:
        """The land reached from (lon, lat) in the local plane (metres, `geo.shapes`)."""
        ...


class StraightLineClipped:
    label = "直线距离近似（按海岛陆地裁剪，未计道路）"

    def area(
        self, lon: float, lat: float, radius_m: float, island: BaseGeometry | None
    ) -> BaseGeometry:
        circle = shapes.plane_point(lon, lat).buffer(radius_m, quad_segs=16)
        return circle if island is None else circle.intersection(island)


@cache
def reach() -> Reach:
    name = settings.TONGZHOU.get("NETWORK_REACH", DEFAULT_REACH)
    return import_string(name)()
