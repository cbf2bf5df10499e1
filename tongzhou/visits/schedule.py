"""Which tier an elder is in and the visit window a tier gives for a day. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tongzhou.care.rules import ElderFacts, GroupRule, group_reason, period_bounds, period_id


@dataclass(frozen=True)
class TierRule:
    code: str
    frequency: str
    rule: GroupRule


def tier_of(facts: ElderFacts, tiers: Sequence[TierRule], day: dt.date) -> TierRule | None:
    """The first tier (by priority) whose rule the elder meets on `day`."""
    if facts.alive_on is not None and day > facts.alive_on:
        return None
    for tier in tiers:
        if group_reason(tier.rule, facts, day, dt.date.min) is not None:
            return tier
    return None


@dataclass(frozen=True)
class Window:
    period_id: str
    opens: dt.date
    due: dt.date
    closes: dt.date


def window(frequency: str, day: dt.date) -> Window:
    """The period holding `day`: a week (ISO, Monday to Sunday, due Thursday), a month or a
    quarter (due mid-way, closing on its last day)."""
    if frequency == "week":
        year, week, weekday = day.isocalendar()
        monday = day - dt.timedelta(days=weekday - 1)
        return Window(
            f"{year}W{week:02d}",
            monday,
            monday + dt.timedelta(days=3),
            monday + dt.timedelta(days=6),
        )
    first, last = period_bounds(frequency, day)
    assert last is not None
    return Window(period_id(frequency, day), first, first + (last - first) // 2, last)
