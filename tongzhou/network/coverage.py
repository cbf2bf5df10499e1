"""Which homes a 15-minute circle covers, and where new stations would cover the most (pure:
places in, answers out; the selectors read the places from the database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix
from shapely import STRtree, points
from shapely.geometry.base import BaseGeometry

from tongzhou.geo import shapes
from tongzhou.network.routing import Reach


@dataclass(frozen=True)
class Site:
    """A place that serves: a facility or a canteen (key "facility:12", "canteen:3")."""

    key: str
    name: str
    kind: str
    lon: float
    lat: float
    island_id: int | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class Home:
    """Elders living at one point (a village's centre, or a home with its own point)."""

    village_id: int
    island_id: int | None
    lon: float
    lat: float
    elders: int


def areas(
    sites: Sequence[Site], radius_m: float, outlines: dict[int, BaseGeometry], reach: Reach
) -> list[BaseGeometry]:
    """Each site's reach in the local plane, clipped to its island's land."""
    return [
        reach.area(site.lon, site.lat, radius_m, outlines.get(site.island_id or 0))
        for site in sites
    ]


def covered(
    homes: Sequence[Home], sites: Sequence[Site], reached: Sequence[BaseGeometry]
) -> np.ndarray:
    """For each home, whether a site on its own island reaches it."""
    result = np.zeros(len(homes), dtype=bool)
    for found in covered_by_each(homes, sites, reached):
        result[list(found)] = True
    return result


@dataclass(frozen=True)
class Choice:
    candidate: int  # index into the candidates
    newly_covered: int  # elders it adds, given the others chosen


def best_sites(
    homes: Sequence[Home],
    candidates: Sequence[Site],
    reached: Sequence[BaseGeometry],
    how_many: int,
) -> list[Choice]:
    """Up to `how_many` candidates that together cover the most elders in `homes` (those not
    yet covered): the maximum-coverage problem as a MILP, solved by HiGHS (scipy)."""
    if not homes or not candidates or how_many <= 0:
        return []
    reaches = covered_by_each(homes, candidates, reached)
    useful = [i for i, found in enumerate(reaches) if found]
    if not useful:
        return []
    n_sites, n_homes = len(useful), len(homes)
    # Variables: x (a site is chosen), then y (a home is covered); maximise sum(elders * y).
    weights = np.array([home.elders for home in homes], dtype=float)
    objective = np.concatenate([np.zeros(n_sites), -weights])
    link = lil_matrix((n_homes, n_sites + n_homes))
    for column, site in enumerate(useful):
        for h in reaches[site]:
            link[h, column] = -1.0
    for h in range(n_homes):
        link[h, n_sites + h] = 1.0
    budget = lil_matrix((1, n_sites + n_homes))
    budget[0, :n_sites] = 1.0
    answer = milp(
        objective,
        constraints=[
            LinearConstraint(link.tocsr(), -np.inf, 0.0),  # y_h <= sum of x covering h
            LinearConstraint(budget.tocsr(), 0.0, float(how_many)),
        ],
        integrality=np.concatenate([np.ones(n_sites), np.zeros(n_homes)]),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": 20.0},
    )
    if answer.x is None:
        return []
    chosen = [useful[c] for c in range(n_sites) if answer.x[c] > 0.5]
    # Said in the order a planner would build them: the biggest gain first.
    taken: set[int] = set()
    ordered: list[Choice] = []
    while chosen:
        gain, pick = max(
            (sum(homes[h].elders for h in reaches[c] if h not in taken), c) for c in chosen
        )
        ordered.append(Choice(pick, gain))
        taken |= reaches[pick]
        chosen.remove(pick)
    return ordered


def covered_by_each(
    homes: Sequence[Home], candidates: Sequence[Site], reached: Sequence[BaseGeometry]
) -> list[set[int]]:
    """For each site, the homes on its island its area reaches."""
    found: list[set[int]] = [set() for _ in candidates]
    if not homes or not candidates:
        return found
    tree = STRtree(list(reached))
    where = points(
        [(home.lon * shapes.METRES_PER_DEGREE_LON, home.lat * shapes.METRES_PER_DEGREE_LAT)
         for home in homes]
    )  # fmt: skip
    home_index, area_index = tree.query(where, predicate="within")
    for h, a in zip(home_index.tolist(), area_index.tolist(), strict=True):
        if candidates[a].island_id == homes[h].island_id:
            found[a].add(h)
    return found
