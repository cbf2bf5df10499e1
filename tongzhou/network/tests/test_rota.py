"""The mobile teams' month: every island of the mobile tier visited as often as the rule says,
each trip within a working day (or marked when one island alone is further), the least travel
for each trip's order, islands no link reaches listed; planned and recorded in scope."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongzhou.access.roles import Role
from tongzhou.core.errors import DomainError
from tongzhou.network.models import RotaVisit
from tongzhou.network.rota import LinkRow, link_graph, plan_trips, schedule, working_days

# A small archipelago: the base, three islands a ferry away, one far out, one unlinked.
LINKS = [
    LinkRow("本岛", "甲岛", 20), LinkRow("本岛", "乙岛", 30), LinkRow("甲岛", "乙岛", 15),
    LinkRow("乙岛", "丙岛", 25), LinkRow("本岛", "远岛", 400),
]  # fmt: skip


def test_trips_fit_the_day_and_take_the_shortest_order() -> None:
    graph = link_graph(LINKS)
    plan = plan_trips(graph, "本岛", ["甲岛", "乙岛", "丙岛", "远岛", "孤岛"],
                      stop_minutes=120, day_minutes=480)  # fmt: skip
    assert plan.unreachable == ["孤岛"]
    visited = Counter(stop for trip in plan.trips for stop in trip.stops)
    assert visited == {"甲岛": 1, "乙岛": 1, "丙岛": 1, "远岛": 1}
    far = next(trip for trip in plan.trips if "远岛" in trip.stops)
    assert far.stops == ("远岛",) and far.over_a_day
    for trip in plan.trips:
        if not trip.over_a_day:
            assert trip.minutes <= 480

    # Each trip's order is the shortest of all its orders.
    def travel(order: tuple[str, ...]) -> float:
        path = ["本岛", *order, "本岛"]
        return sum(nx.shortest_path_length(graph, a, b, weight="minutes")
                   for a, b in itertools.pairwise(path))  # fmt: skip

    for trip in plan.trips:
        assert travel(trip.stops) == min(travel(p) for p in itertools.permutations(trip.stops))
        assert trip.travel_minutes == round(travel(trip.stops))
        assert trip.route[0] == trip.route[-1] == "本岛"


@settings(max_examples=40, deadline=None)
@given(rounds=st.integers(1, 4), year=st.integers(2025, 2030), month=st.integers(1, 12))
def test_each_island_is_visited_as_often_as_the_rule_says(
    rounds: int, year: int, month: int
) -> None:
    plan = plan_trips(link_graph(LINKS), "本岛", ["甲岛", "乙岛", "丙岛", "远岛"],
                      stop_minutes=120, day_minutes=480)  # fmt: skip
    first = dt.date(year, month, 1)
    dated = schedule(plan.trips, first, rounds)
    visits = Counter(stop for _day, trip in dated for stop in trip.stops)
    assert visits == dict.fromkeys(["甲岛", "乙岛", "丙岛", "远岛"], rounds)
    days = [day for day, _trip in dated]
    assert all(day in working_days(first) for day in days)
    assert len(set(days)) == len(days)  # a team makes one trip a day


@pytest.mark.django_db
def test_the_month_is_planned_printed_and_recorded_in_scope(
    make_user: Callable[..., Any],
    make_elder: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    now: Any,
) -> None:
    from tongzhou.bookings.tests.conftest import at

    now(at(2026, 12, 1, 9))
    for _ in range(3):  # 盘峙岛 and 大猫岛: a few elders each, no town: the mobile tier
        make_elder("330902003201", birth=dt.date(1940, 1, 1))
        make_elder("330902003203", birth=dt.date(1940, 1, 1))
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    page = signed_in(district)
    page.post("/network/rota/", {"month": "2026-12", "step": "plan"})
    visits = RotaVisit.objects.filter(month="202612")
    assert Counter(v.island.name for v in visits) == {"盘峙岛": 2, "大猫岛": 2}
    assert {v.base for v in visits} == {"舟山本岛"}
    text = page.get("/network/rota/?month=2026-12").content.decode()
    assert "舟山本岛 → 盘峙岛" in text or "舟山本岛 → 大猫岛" in text
    # A village worker of another district neither sees nor records the team's visits.
    other = make_user(Role.VILLAGE_WORKER, region="330903001001")
    visit = visits.first()
    assert visit is not None
    outsider = signed_in(other)
    assert "盘峙岛" not in outsider.get("/network/rota/?month=2026-12").content.decode()
    outsider.post("/network/rota/", {"month": "2026-12", "step": "done", "visit": visit.pk})
    assert RotaVisit.objects.get(pk=visit.pk).done_at is None
    worker = make_user(Role.VILLAGE_WORKER, region="330902003201")
    signed_in(worker).post("/network/rota/", {"month": "2026-12", "step": "done",
                                              "visit": visit.pk, "note": "量了血压"})  # fmt: skip
    done = RotaVisit.objects.get(pk=visit.pk)
    assert done.done_at is not None and done.note == "量了血压"
    # Planning again keeps what was recorded and plans the rest anew.
    page.post("/network/rota/", {"month": "2026-12", "step": "plan"})
    assert RotaVisit.objects.get(pk=visit.pk).done_at is not None
    assert RotaVisit.objects.filter(month="202612").count() == 4
    from tongzhou.network.services import rota_record

    with pytest.raises(DomainError) as refused:
        rota_record(actor=worker, visit_id=visit.pk)
    assert refused.value.code == "rota_visit_done"
    # A town plans no county's team: its plan would leave out the county's other islands.
    from tongzhou.network.services import rota_plan

    town = make_user(Role.TOWN_OFFICER, region="330902003")
    with pytest.raises(DomainError) as refused:
        rota_plan(actor=town, month=dt.date(2026, 12, 1))
    assert refused.value.code == "permission_denied"
    assert RotaVisit.objects.filter(month="202612").count() == 4
