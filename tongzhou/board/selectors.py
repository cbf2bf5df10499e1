"""Reads of the board, each inside the actor's area: an area's indicators for a day (value,
target, completion, light), an indicator's league of districts with its change since the last
period, its trend, and the reported values waiting for the actor's step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import level_of, require_cap, scope_for
from tongzhou.board import calc
from tongzhou.board.models import DataValue, Evidence, Indicator, Target, ValueStatus
from tongzhou.core import periods
from tongzhou.core.errors import NotFound
from tongzhou.core.masking import mask_name
from tongzhou.discovery.models import DiscoveryCase
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_code
from tongzhou.oversight.models import Finding
from tongzhou.settlement.models import AnomalyCase
from tongzhou.visits.models import FollowUp

COUNTED = (ValueStatus.APPROVED, ValueStatus.DISTRICT_APPROVED)


@dataclass(frozen=True)
class Row:
    indicator: Indicator
    period_id: str
    value: DataValue | None
    target: Target | None
    done: float | None  # completion, 1.0 = 100 %
    elapsed: float  # 序时进度 of the target's period
    light: calc.Light

    @property
    def shown(self) -> float | None:
        return self.value.value if self.value is not None else None

    @property
    def shown_text(self) -> str:
        """The value as the bureau writes it: up to two decimals, no trailing zeros."""
        return _figure(self.shown)

    @property
    def done_text(self) -> str:
        return "—" if self.done is None else f"{self.done * 100:.2f}%"

    @property
    def elapsed_text(self) -> str:
        return f"{self.elapsed * 100:.1f}%"


def _figure(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def area_for(actor: Any, code: str | None = None) -> Region:
    """The unit asked for if it lies in the actor's area, else the actor's own area."""
    scope = scope_for(actor)
    if code:
        asked = Region.objects.filter(code=code).first()
        if asked is not None and scope.contains_path(asked.path):
            return asked
    if scope.region_path:
        return Region.objects.get(path=scope.region_path)
    return Region.objects.get(code=city_code())


def _target(indicator: Indicator, region: Region, period_id: str) -> Target | None:
    """The unit's target for the period, else for the year holding it."""
    start, _end = periods.bounds(period_id)
    found = Target.objects.filter(indicator=indicator, region=region)
    return (
        found.filter(period_id=period_id).first() or found.filter(period_id=str(start.year)).first()
    )


def row_for(
    indicator: Indicator,
    region: Region,
    period_id: str,
    day: dt.date,
    known: Known | None = None,
) -> Row:
    """One indicator's row for a unit and period; `known` holds the values and targets read
    at once for a whole board (else each is read here)."""
    if known is not None:
        value = known.values.get((indicator.pk, period_id))
        start = periods.bounds(period_id)[0]
        target = known.targets.get((indicator.pk, period_id)) or known.targets.get(
            (indicator.pk, str(start.year))
        )
    else:
        value = DataValue.objects.filter(
            indicator=indicator, region=region, period_id=period_id, status__in=COUNTED
        ).first()
        target = _target(indicator, region, period_id)
    shown = value.value if value is not None else None
    done = calc.completion(
        actual=shown,
        target=target.value if target else None,
        direction=indicator.direction,
        measure=indicator.measure,
        baseline=indicator.baseline,
    )
    # Elapsed as of the value's own period end when looking back; today when it is current.
    as_of = min(day, periods.bounds(period_id)[1])
    # A count builds up through its period (序时进度); a rate is a level, held to its target.
    elapsed = (
        1.0
        if indicator.measure in ("percent", "per_10k")
        else periods.elapsed_share(target.period_id if target else period_id, as_of)
    )
    overdue = (
        value is None
        and not indicator.is_computed
        and target is not None
        and day > periods.bounds(period_id)[1]
    )
    light = calc.light(done, elapsed, band_points=indicator.yellow_band, overdue=overdue)
    return Row(indicator, period_id, value, target, done, elapsed, light)


def board(actor: Any, region: Region, day: dt.date, period_id: str | None = None) -> list[Row]:
    """Every active indicator of the area for the period of its type holding `day` (or the
    period asked for, where it is of the indicator's type)."""
    require_cap(actor, Cap.BOARD_VIEW, "查看指标看板", "see the indicator board")
    indicators = list(Indicator.objects.filter(is_active=True))
    wanted = {i.pk: period_id or periods.period_of(i.period_type, day) for i in indicators}
    known = Known.read(region, set(wanted.values()))
    return [row_for(i, region, wanted[i.pk], day, known) for i in indicators]


def _places(values: dict[int, float], direction: str) -> dict[int, int]:
    """Competition ranking, direction-aware: equal values share a place, the next is skipped."""

    def better(x: float, y: float) -> bool:
        return x > y if direction == "higher" else x < y

    return {
        pk: 1 + sum(better(other, mine) for other in values.values()) for pk, mine in values.items()
    }


def board_ranks(region: Region, rows: list[Row]) -> dict[int, str]:
    """Each indicator's standing, by indicator id, in words: the unit's place among the units
    beside it (第2名/共4个); for the city, which district leads and which trails. One query."""
    ranked = (
        list(Region.objects.filter(parent=region))
        if region.parent_id is None
        else list(Region.objects.filter(parent_id=region.parent_id))
    )
    names = {r.pk: r.name for r in ranked}
    found: dict[tuple[int, str], dict[int, float]] = {}
    for pk, indicator_id, period_id, value in DataValue.objects.filter(
        region__in=ranked,
        period_id__in={row.period_id for row in rows},
        status__in=COUNTED,
    ).values_list("region_id", "indicator_id", "period_id", "value"):
        if value is not None:
            found.setdefault((indicator_id, period_id), {})[pk] = value
    words: dict[int, str] = {}
    for row in rows:
        values = found.get((row.indicator.pk, row.period_id), {})
        if len(values) < 2:
            continue
        places = _places(values, row.indicator.direction)
        if region.parent_id is None:
            best, worst = min(places.values()), max(places.values())
            if best == worst:
                continue  # all level: nobody leads

            def named(place: int, places: dict[int, int] = places) -> str:
                return "、".join(names[pk] for pk in sorted(places) if places[pk] == place)

            words[row.indicator.pk] = f"首位{named(best)} · 末位{named(worst)}"
        elif region.pk in places:
            words[row.indicator.pk] = f"第{places[region.pk]}名/共{len(places)}个"
    return words


@dataclass(frozen=True)
class Known:
    """A unit's counted values and targets for some periods, read in two queries."""

    values: dict[tuple[int, str], DataValue]
    targets: dict[tuple[int, str], Target]

    @classmethod
    def read(cls, region: Region, period_ids: set[str]) -> Known:
        years = {str(periods.bounds(pid)[0].year) for pid in period_ids}
        values = DataValue.objects.filter(
            region=region, period_id__in=period_ids, status__in=COUNTED
        )
        targets = Target.objects.filter(region=region, period_id__in=period_ids | years)
        return cls(
            {(v.indicator_id, v.period_id): v for v in values},
            {(t.indicator_id, t.period_id): t for t in targets},
        )


@dataclass(frozen=True)
class LeagueRow:
    region: Region
    row: Row
    rank: int | None
    previous_rank: int | None

    @property
    def moved(self) -> int | None:
        """Places gained since the last period (positive: up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def league(actor: Any, indicator: Indicator, period_id: str, day: dt.date) -> list[LeagueRow]:
    """The districts ranked on the indicator (direction-aware; no value, no rank), with the
    rank each held the period before."""
    require_cap(actor, Cap.BOARD_VIEW, "查看指标看板", "see the indicator board")
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code"))

    def ranks(pid: str) -> tuple[dict[int, Row], dict[int, int]]:
        rows = {d.pk: row_for(indicator, d, pid, day) for d in districts}
        valued = {pk: r.shown for pk, r in rows.items() if r.shown is not None}
        return rows, _places(valued, indicator.direction)

    rows, now = ranks(period_id)
    _before_rows, before = ranks(periods.previous(period_id))
    found = [LeagueRow(d, rows[d.pk], now.get(d.pk), before.get(d.pk)) for d in districts]
    return sorted(found, key=lambda r: (r.rank is None, r.rank or 0, r.region.code))


def trend(indicator: Indicator, region: Region, period_id: str, count: int = 12) -> list[Row]:
    """The indicator's value over the last `count` periods of its type, oldest first."""
    ids = [period_id]
    while len(ids) < count:
        ids.append(periods.previous(ids[-1]))
    day = periods.bounds(period_id)[1]
    return [row_for(indicator, region, pid, day) for pid in reversed(ids)]


def indicator_get(actor: Any, code: str) -> Indicator:
    require_cap(actor, Cap.BOARD_VIEW, "查看指标看板", "see the indicator board")
    found = Indicator.objects.filter(code=code).first()
    if found is None:
        raise NotFound("指标", "indicator")
    return found


def waiting_for(actor: Any) -> QuerySet[DataValue]:
    """Reported values inside the actor's area that wait for their approval step."""
    scope = scope_for(actor)
    level = level_of(actor)
    values = DataValue.objects.filter(scope.region_q("region__path")).select_related(
        "indicator", "region", "entered_by"
    )
    if level == RegionLevel.DISTRICT:
        return values.filter(status=ValueStatus.SUBMITTED).exclude(region__level=RegionLevel.CITY)
    if level == RegionLevel.CITY:
        return values.filter(status=ValueStatus.DISTRICT_APPROVED) | values.filter(
            status=ValueStatus.SUBMITTED, region__level=RegionLevel.CITY
        )
    return values.none()


def reported_by(region: Region) -> QuerySet[DataValue]:
    """A unit's reported values (the caller's `area_for` keeps the unit in the actor's area)."""
    return DataValue.objects.filter(region=region, origin="reported").select_related("indicator")


def evidence_get(actor: Any, evidence_id: int) -> Evidence | None:
    return (
        Evidence.objects.filter(scope_for(actor).region_q("value__region__path"), pk=evidence_id)
        .select_related("value")
        .first()
    )


@dataclass(frozen=True)
class SourceBrief:
    """What a supervision item raised from another page starts with."""

    title: str
    basis: str
    unit: Region
    ref: str


def source_brief(actor: Any, source: str, ref: int) -> SourceBrief | None:
    """A discovery case, a visit's follow-up or an anomaly case inside the actor's area, as
    the start of a supervision item assigned to the town (or the district) it concerns."""
    scope = scope_for(actor)
    if source == "discovery":
        case = (
            DiscoveryCase.objects.filter(scope.region_q("village__path"), pk=ref)
            .select_related("village__parent", "rule")
            .first()
        )
        if case is not None and case.village.parent is not None:
            return SourceBrief(
                f"{case.village.name}主动发现线索跟进：{case.rule.display_name}",
                f"{case.found_on:%Y-%m-%d} {case.rule.display_name}"
                f"（{mask_name(case.elder.name)}）",
                case.village.parent,
                f"discovery:{case.pk}",
            )
    if source == "visit":
        follow = (
            FollowUp.objects.filter(scope.region_q("village__path"), pk=ref)
            .select_related("village__parent")
            .first()
        )
        if follow is not None and follow.village.parent is not None:
            return SourceBrief(
                f"{follow.village.name}探访发现问题整改",
                follow.finding[:300],
                follow.village.parent,
                f"visit:{follow.pk}",
            )
    if source == "finding":
        finding = (
            Finding.objects.filter(scope.region_q("canteen__village__path"), pk=ref)
            .select_related("canteen__village__parent")
            .first()
        )
        if finding is not None and finding.canteen is not None:
            town = finding.canteen.village.parent
            assert town is not None
            return SourceBrief(
                f"{finding.canteen.name}检查问题整改",
                f"{finding.text}（限{finding.deadline:%Y-%m-%d}前整改）"[:300],
                town,
                f"finding:{finding.pk}",
            )
    if source == "anomaly":
        anomaly = AnomalyCase.objects.filter(scope.region_q("scope_path"), pk=ref).first()
        if anomaly is not None:
            district = "/".join(anomaly.scope_path.split("/")[:2]) + "/"
            unit = Region.objects.filter(path=district).first()
            if unit is not None:
                return SourceBrief(
                    anomaly.summary[:120], anomaly.summary[:300], unit, f"anomaly:{anomaly.pk}"
                )
    return None
