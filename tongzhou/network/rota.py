"""The mobile service teams' month (pure): which islands each day's trip visits, in which
order, with the least travel, so that every island of the mobile tier is visited as often as
the tier rule asks.

Travel is shortest paths on the island links (bridges and ferries, minutes as data) with
networkx. Trips are packed into working days (travel there and back plus the time on each
island within a day) nearest island first, each trip's order then made the shortest by trying
every order (a trip holds a handful of islands). An island too far for a day trip gets a trip
of its own, marked as such. Ferry timetables are not modelled: a crossing costs its minutes."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class LinkRow:
    a: str
    b: str
    minutes: int


def link_graph(links: Sequence[LinkRow]) -> nx.Graph:
    graph = nx.Graph()
    for link in links:
        if (
            not graph.has_edge(link.a, link.b)
            or graph.edges[link.a, link.b]["minutes"] > link.minutes
        ):
            graph.add_edge(link.a, link.b, minutes=link.minutes)
    return graph


@dataclass(frozen=True)
class Trip:
    stops: tuple[str, ...]  # islands in visiting order, from the base and back to it
    route: tuple[str, ...]  # every island passed, base first and last
    travel_minutes: int
    service_minutes: int
    over_a_day: bool

    @property
    def minutes(self) -> int:
        return self.travel_minutes + self.service_minutes


@dataclass(frozen=True)
class Plan:
    base: str
    trips: list[Trip]
    unreachable: list[str]  # islands no known link reaches from the base


def plan_trips(
    graph: nx.Graph, base: str, islands: Sequence[str], *, stop_minutes: int, day_minutes: int
) -> Plan:
    wanted = sorted(set(islands) - {base})
    if base not in graph:
        return Plan(base, [], wanted)
    lengths = nx.single_source_dijkstra_path_length(graph, base, weight="minutes")
    reachable = [i for i in wanted if i in lengths]
    unreachable = [i for i in wanted if i not in lengths]
    places = [base, *reachable]
    minutes: dict[tuple[str, str], float] = {}
    for place in places:
        found = nx.single_source_dijkstra_path_length(graph, place, weight="minutes")
        for other in places:
            minutes[place, other] = found.get(other, float("inf"))
    left = set(reachable)
    groups: list[list[str]] = []
    while left:
        here, used, group = base, 0.0, list[str]()
        while left:
            nearest = sorted(left, key=lambda i: (minutes[here, i], i))
            room = day_minutes - used - stop_minutes
            pick = next((i for i in nearest if minutes[here, i] + minutes[i, base] <= room), None)
            if pick is None:
                if group:
                    break
                pick = nearest[0]  # too far for a day trip: a trip of its own
            group.append(pick)
            left.discard(pick)
            used += minutes[here, pick] + stop_minutes
            here = pick
        groups.append(group)
    trips = [_trip(base, group, minutes, graph, stop_minutes, day_minutes) for group in groups]
    return Plan(base, trips, unreachable)


def _trip(
    base: str,
    group: list[str],
    minutes: dict[tuple[str, str], float],
    graph: nx.Graph,
    stop_minutes: int,
    day_minutes: int,
) -> Trip:
    if len(group) > 7:  # never with a working day's islands; kept cheap if a rule allows it
        group = sorted(group, key=lambda i: minutes[base, i])
    best = min(
        itertools.permutations(group) if len(group) <= 7 else [tuple(group)],
        key=lambda order: sum(minutes[a, b] for a, b in itertools.pairwise([base, *order, base])),
    )
    legs = list(itertools.pairwise([base, *best, base]))
    travel = round(sum(minutes[a, b] for a, b in legs))
    route: list[str] = [base]
    for a, b in legs:
        route += nx.dijkstra_path(graph, a, b, weight="minutes")[1:]
    service = stop_minutes * len(best)
    return Trip(tuple(best), tuple(route), travel, service, travel + service > day_minutes)


def working_days(month: dt.date) -> list[dt.date]:
    """Monday to Friday of the month (public holidays are the bureau's to skip)."""
    day, days = month.replace(day=1), []
    while day.month == month.month:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def schedule(trips: Sequence[Trip], month: dt.date, rounds: int) -> list[tuple[dt.date, Trip]]:
    """Each trip `rounds` times in the month, the rounds spread evenly over its working days
    (a team makes one trip a day)."""
    days = working_days(month)
    if not trips or rounds <= 0:
        return []
    gap = max(len(days) // rounds, 1)
    dated = []
    for r in range(rounds):
        for i, trip in enumerate(trips):
            dated.append((days[min(r * gap + i, len(days) - 1)], trip))
    return dated
