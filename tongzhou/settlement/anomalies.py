"""Anomaly detection for a settlement period: each finding becomes a case with its evidence
(found once: running again adds only what is new) for the bureau to resolve.

- travel: the same elder at canteens on two islands sooner than the fastest crossing between
  them allows (a graph of the islands with their bridges and ferries; the crossing minutes
  are a lower bound, so a case means the card was in two places at once: card lending);
- many meals: more than three meals for one elder in a day;
- after death / after moving away: meals dated after the register says so;
- clock drift: a terminal whose device clock is more than 5 minutes off the server's;
- reversals: a canteen voiding or refunding far more than the city's rate.
"""

from __future__ import annotations

import csv
import itertools
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from tongzhou.audit.services import audit_record
from tongzhou.core import clock
from tongzhou.meals.models import Meal, MealStatus, OfflineSale
from tongzhou.settlement.models import AnomalyCase, AnomalyKind, SettlementPeriod

LINKS = Path(__file__).resolve().parents[1] / "geo" / "data" / "source" / "zhoushan_links_draft.csv"
MAX_MEALS_A_DAY = 3
DRIFT_LIMIT = timedelta(minutes=5)
DRIFT_SAMPLES = 5
REVERSAL_FACTOR = 3.0
REVERSAL_MIN = 3
# A sale this many times the canteen's median for the meal is looked at (once the canteen
# has enough sales of it that month for the median to mean something).
UNUSUAL_FACTOR = 3
UNUSUAL_MIN_SALES = 10


@cache
def island_graph() -> nx.Graph:
    """Islands linked by bridges and ferries, weighted by crossing minutes."""
    graph = nx.Graph()
    with LINKS.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            minutes = float(row["approx_minutes"])
            a, b = row["from_island"], row["to_island"]
            if not graph.has_edge(a, b) or graph.edges[a, b]["minutes"] > minutes:
                graph.add_edge(a, b, minutes=minutes, mode=row["mode"])
    return graph


def crossing(from_island: str, to_island: str) -> tuple[float, list[str]] | None:
    """The fastest crossing in minutes and its route, or None where no link is known."""
    if from_island == to_island:
        return 0.0, [from_island]
    graph = island_graph()
    try:
        minutes, route = nx.single_source_dijkstra(graph, from_island, to_island, weight="minutes")
    except (nx.NodeNotFound, nx.NetworkXNoPath):
        return None
    return float(minutes), list(route)


def _when(meal: Any) -> datetime:
    return meal.device_time or meal.created_at


def _open(
    period: SettlementPeriod,
    kind: str,
    key: str,
    summary: str,
    evidence: dict[str, Any],
    scope_path: str,
    **about: Any,
) -> int:
    try:
        with transaction.atomic():
            case = AnomalyCase.objects.create(
                kind=kind,
                key=key[:120],
                period=period,
                summary=summary[:200],
                evidence=evidence,
                scope_path=scope_path,
                detected_at=clock.now(),
                **about,
            )
            audit_record(
                actor=None,
                actor_label="anomaly-detector",
                action="anomaly.open",
                target=case,
                after={"kind": kind, "key": case.key},
                scope_path=scope_path,
            )
    except IntegrityError:
        return 0  # found before
    return 1


def _meals(period: SettlementPeriod) -> Any:
    return Meal.objects.filter(
        status=MealStatus.COMPLETED, business_date__range=(period.starts_on, period.ends_on)
    )


def detect_travel(period: SettlementPeriod) -> int:
    meals = _meals(period)
    busy = (
        meals.values("elder_id", "business_date")
        .annotate(islands=Count("canteen__island", distinct=True))
        .filter(islands__gt=1)
    )
    found = 0
    for day_of_elder in busy:
        rows = sorted(
            meals.filter(
                elder_id=day_of_elder["elder_id"], business_date=day_of_elder["business_date"]
            ).select_related("canteen__island", "elder__residence"),
            key=_when,
        )
        for first, second in itertools.pairwise(rows):
            a, b = first.canteen.island.name, second.canteen.island.name
            fastest = crossing(a, b)
            gap = (_when(second) - _when(first)).total_seconds() / 60
            if fastest is None or a == b or gap >= fastest[0]:
                continue
            evidence = {
                "elder": first.elder_id,
                "meals": [
                    {
                        "receipt": m.receipt_no,
                        "canteen": m.canteen.name,
                        "island": m.canteen.island.name,
                        "at": _when(m).isoformat(),
                    }
                    for m in (first, second)
                ],
                "minutes_between": round(gap, 1),
                "fastest_crossing_minutes": fastest[0],
                "route": fastest[1],
            }
            found += _open(
                period,
                AnomalyKind.TRAVEL,
                f"{first.receipt_no}>{second.receipt_no}",
                f"{a}→{b}：两餐相隔{gap:.0f}分钟，最快也需{fastest[0]:.0f}分钟",
                evidence,
                first.elder.residence.path,
                elder_id=first.elder_id,
                canteen_id=second.canteen_id,
            )
    return found


def detect_many_meals(period: SettlementPeriod) -> int:
    found = 0
    heavy = (
        _meals(period)
        .values("elder_id", "elder__residence__path", "business_date")
        .annotate(n=Count("pk"))
        .filter(n__gt=MAX_MEALS_A_DAY)
    )
    for row in heavy:
        receipts = list(
            _meals(period)
            .filter(elder_id=row["elder_id"], business_date=row["business_date"])
            .values_list("receipt_no", flat=True)
        )
        found += _open(
            period,
            AnomalyKind.MANY_MEALS,
            f"{row['elder_id']}:{row['business_date']}",
            f"{row['business_date']} 同一老人{row['n']}餐",
            {"receipts": receipts, "meals": row["n"]},
            row["elder__residence__path"],
            elder_id=row["elder_id"],
        )
    return found


def detect_after_register(period: SettlementPeriod) -> int:
    found = 0
    for kind, field, label in (
        (AnomalyKind.AFTER_DEATH, "died_on", "去世"),
        (AnomalyKind.AFTER_MOVE, "moved_on", "迁出"),
    ):
        late = (
            _meals(period)
            .filter(**{f"elder__{field}__isnull": False})
            .filter(business_date__gt=F(f"elder__{field}"))
            .select_related("elder__residence")
        )
        for meal in late:
            when = getattr(meal.elder, field)
            found += _open(
                period,
                kind,
                meal.receipt_no,
                f"{meal.business_date} 用餐，但登记于{when}{label}",
                {
                    "receipt": meal.receipt_no,
                    "meal_date": str(meal.business_date),
                    field: str(when),
                },
                meal.elder.residence.path,
                elder_id=meal.elder_id,
                canteen_id=meal.canteen_id,
            )
    return found


def detect_clock_drift(period: SettlementPeriod) -> int:
    online = (
        _meals(period)
        .filter(device_time__isnull=False)
        .exclude(pk__in=OfflineSale.objects.filter(meal__isnull=False).values("meal_id"))
    )
    drifts: dict[int, list[float]] = defaultdict(list)
    names: dict[int, tuple[str, str, int]] = {}
    for meal in online.select_related("terminal", "canteen__village"):
        drifts[meal.terminal_id].append((meal.created_at - meal.device_time).total_seconds())
        names[meal.terminal_id] = (str(meal.terminal), meal.canteen.village.path, meal.canteen_id)
    found = 0
    for terminal_id, seconds in drifts.items():
        median = statistics.median(seconds)
        if len(seconds) < DRIFT_SAMPLES or abs(median) <= DRIFT_LIMIT.total_seconds():
            continue
        name, path, canteen_id = names[terminal_id]
        found += _open(
            period,
            AnomalyKind.CLOCK_DRIFT,
            f"{terminal_id}:{period.pk}",
            f"收银终端“{name}”时钟偏差约{median / 60:.0f}分钟",
            {"terminal": terminal_id, "median_seconds": round(median), "samples": len(seconds)},
            path,
            canteen_id=canteen_id,
        )
    return found


def detect_reversals(period: SettlementPeriod) -> int:
    sold = Meal.objects.filter(business_date__range=(period.starts_on, period.ends_on))
    per_canteen = sold.values("canteen_id", "canteen__village__path", "canteen__name").annotate(
        sales=Count("pk"), reversed=Count("pk", filter=Q(reversal__isnull=False))
    )
    rows = list(per_canteen)
    total_sales = sum(r["sales"] for r in rows) or 1
    city_rate = sum(r["reversed"] for r in rows) / total_sales
    found = 0
    for row in rows:
        rate = row["reversed"] / row["sales"]
        if row["reversed"] >= REVERSAL_MIN and rate > max(REVERSAL_FACTOR * city_rate, 0.05):
            found += _open(
                period,
                AnomalyKind.REVERSALS,
                f"{row['canteen_id']}:{period.pk}",
                f"“{row['canteen__name']}”撤销/退款率{rate:.0%}（全市{city_rate:.1%}）",
                {
                    "sales": row["sales"],
                    "reversed": row["reversed"],
                    "rate": round(rate, 4),
                    "city_rate": round(city_rate, 4),
                },
                row["canteen__village__path"],
                canteen_id=row["canteen_id"],
            )
    return found


def detect_unusual_totals(period: SettlementPeriod) -> int:
    """Sales within the policy's limits yet far above what the canteen usually sells for
    that meal: a terminal asking the funds for more than a meal costs."""
    totals: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = _meals(period).values_list("canteen_id", "session", "total_fen")
    for canteen_id, session, total in rows.iterator(chunk_size=5000):
        totals[canteen_id, session].append(total)
    found = 0
    for (canteen_id, session), sold in totals.items():
        if len(sold) < UNUSUAL_MIN_SALES:
            continue
        usual = statistics.median(sold)
        threshold = UNUSUAL_FACTOR * usual
        unusual = _meals(period).filter(
            canteen_id=canteen_id, session=session, total_fen__gte=threshold
        )
        for meal in unusual.select_related("canteen__village"):
            found += _open(
                period,
                AnomalyKind.UNUSUAL_TOTAL,
                f"{meal.pk}",
                f"“{meal.canteen.name}”一笔{meal.total_fen / 100:.2f}元，"
                f"约为该餐次中位数{usual / 100:.2f}元的{meal.total_fen / usual:.1f}倍",
                {
                    "receipt_no": meal.receipt_no,
                    "total_fen": meal.total_fen,
                    "subsidy_fen": meal.subsidy_fen,
                    "median_fen": usual,
                    "sales": len(sold),
                },
                meal.canteen.village.path,
                canteen_id=canteen_id,
                elder_id=meal.elder_id,
            )
    return found


def detect_anomalies(period: SettlementPeriod) -> dict[str, int]:
    """Run every detector on the period; the new cases found, per kind."""
    return {
        AnomalyKind.TRAVEL: detect_travel(period),
        AnomalyKind.MANY_MEALS: detect_many_meals(period),
        "register": detect_after_register(period),
        AnomalyKind.CLOCK_DRIFT: detect_clock_drift(period),
        AnomalyKind.REVERSALS: detect_reversals(period),
        AnomalyKind.UNUSUAL_TOTAL: detect_unusual_totals(period),
    }
