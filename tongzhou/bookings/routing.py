"""Delivery routes: the order a courier visits the doors, from the canteen and back.

The tour is solved by networkx's travelling-salesman approximation (Christofides, then
threshold-accepting local search with a fixed seed, so the same stops give the same route).
Distances are great-circle metres times a detour factor for roads and lanes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import networkx as nx

EARTH_RADIUS_M = 6_371_000
DETOUR = 1.3  # roads are longer than the straight line
SEED = 7

Point = tuple[float, float]  # (lon, lat)


def metres(a: Point, b: Point) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h)) * DETOUR


def tour(depot: Point, stops: Sequence[Point]) -> tuple[list[int], int]:
    """The visiting order of `stops` (indexes) on a round trip from `depot`, and its length
    in metres."""
    if not stops:
        return [], 0
    points = [depot, *stops]
    graph = nx.complete_graph(len(points))
    for i, j in graph.edges:
        graph.edges[i, j]["weight"] = metres(points[i], points[j])
    if len(points) <= 3:
        cycle = [*range(len(points)), 0]
    else:

        def improve(g: nx.Graph, weight: str) -> list[int]:
            start = nx.approximation.christofides(g, weight=weight)
            return nx.approximation.threshold_accepting_tsp(
                g, start, weight=weight, seed=SEED, max_iterations=15
            )

        cycle = nx.approximation.traveling_salesman_problem(
            graph, weight="weight", cycle=True, method=improve
        )
    at_depot = cycle.index(0)
    ordered = cycle[at_depot:-1] + cycle[:at_depot] + [0]
    length = sum(graph.edges[a, b]["weight"] for a, b in itertools.pairwise(ordered))
    return [node - 1 for node in ordered[1:-1]], round(length)


def split_tour(order: list[int], couriers: int) -> list[list[int]]:
    """Route first, cluster second: cut one city tour into contiguous, even shares."""
    couriers = max(1, min(couriers, len(order) or 1))
    size, extra = divmod(len(order), couriers)
    shares, start = [], 0
    for index in range(couriers):
        end = start + size + (1 if index < extra else 0)
        shares.append(order[start:end])
        start = end
    return shares
