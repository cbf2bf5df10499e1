"""The 15-minute reach on the real island outlines: a home inside the radius on the same
island is covered, one beyond it or across the water is not; the reach never leaves the
island's land; and the maximum-coverage choice is the best one there is."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from tongzhou.geo import shapes
from tongzhou.geo.models import Island
from tongzhou.network.coverage import Home, Site, areas, best_sites, covered
from tongzhou.network.routing import StraightLineClipped

pytestmark = pytest.mark.django_db
# 定海's old town, well inside 舟山本岛, and 盘峙岛 across the harbour.
DINGHAI = (122.106, 30.02)


@pytest.fixture(scope="module")
def land(django_db_setup: Any, django_db_blocker: Any) -> dict[str, tuple[int, Any]]:
    with django_db_blocker.unblock():
        return {
            island.name: (island.pk, shapes.to_plane(shapes.from_geojson(island.outline)))
            for island in Island.objects.filter(name__in=["舟山本岛", "盘峙岛"])
        }


def _east(lon: float, lat: float, metres: float, bearing: float = 90.0) -> tuple[float, float]:
    angle = math.radians(bearing)
    return (
        lon + metres * math.sin(angle) / shapes.METRES_PER_DEGREE_LON,
        lat + metres * math.cos(angle) / shapes.METRES_PER_DEGREE_LAT,
    )


def _covered(land: dict[str, Any], home: tuple[float, float], island: str = "舟山本岛") -> bool:
    main_id, main = land["舟山本岛"]
    site = Site("facility:1", "中心", "home_care", *DINGHAI, main_id, ("meals",))
    reached = areas([site], 1000, {main_id: main}, StraightLineClipped())
    return bool(covered([Home(1, land[island][0], *home, 3)], [site], reached)[0])


@settings(max_examples=60, deadline=None)
@given(bearing=st.floats(0, 360), inside=st.floats(0, 0.98), outside=st.floats(1.02, 2.0))
def test_a_home_within_the_radius_on_the_island_is_covered_and_beyond_it_is_not(
    land: dict[str, Any], bearing: float, inside: float, outside: float
) -> None:
    near, far = _east(*DINGHAI, 1000 * inside, bearing), _east(*DINGHAI, 1000 * outside, bearing)
    main = land["舟山本岛"][1]
    if main.contains(shapes.plane_point(*near)):  # a home on land
        assert _covered(land, near)
    assert not _covered(land, far)


def test_the_reach_stays_on_its_island(land: dict[str, Any]) -> None:
    main_id, main = land["舟山本岛"]
    panzhi_id, panzhi = land["盘峙岛"]
    coast = shapes.to_degrees(main.exterior.interpolate(main.exterior.project(
        shapes.plane_point(122.09, 29.99)))) if main.geom_type == "Polygon" else None  # fmt: skip
    assert coast is not None
    [area] = areas([Site("f", "海边", "home_care", coast.x, coast.y, main_id, ())], 1000,
                   {main_id: main}, StraightLineClipped())  # fmt: skip
    full = math.pi * 1000**2
    assert area.area < 0.9 * full  # a circle on the shore loses its sea
    assert area.difference(main.buffer(1)).area < 1.0
    # A home on 盘峙岛, whatever the distance, is not reached from 舟山本岛.
    target = panzhi.representative_point()
    home = shapes.to_degrees(Point(target.x, target.y))
    site = Site("f", "港口", "home_care", home.x + 0.004, home.y, main_id, ())
    reached = areas([site], 5000, {main_id: main}, StraightLineClipped())
    assert not covered([Home(9, panzhi_id, home.x, home.y, 5)], [site], reached)[0]


def _gain(homes: list[Home], sites: list[Site], reached: list[Any]) -> int:
    hit = covered(homes, sites, reached)
    return sum(home.elders for home, ok in zip(homes, hit.tolist(), strict=True) if ok)


def test_the_maximum_coverage_choice_is_the_best_there_is() -> None:
    reach = StraightLineClipped()
    rng = random.Random(7)
    for _ in range(12):
        homes = [
            Home(i, 1, *_east(*DINGHAI, rng.uniform(0, 4000), rng.uniform(0, 360)),
                 rng.randint(1, 30))
            for i in range(25)
        ]  # fmt: skip
        candidates = [
            Site(f"c{i}", f"候选{i}", "candidate",
                 *_east(*DINGHAI, rng.uniform(0, 4000), rng.uniform(0, 360)), 1, ())
            for i in range(9)
        ]  # fmt: skip
        reached = areas(candidates, 1000, {}, reach)
        chosen = best_sites(homes, candidates, reached, 3)

        best = max(
            _gain(homes, [candidates[i] for i in combo], [reached[i] for i in combo])
            for combo in itertools.combinations(range(9), 3)
        )
        assert sum(choice.newly_covered for choice in chosen) == best
        assert [c.newly_covered for c in chosen] == sorted(
            (c.newly_covered for c in chosen), reverse=True
        )
