"""Which groups an elder belongs to on a day, and so which items they are entitled to, with
the reason and the date each became true. Pure: facts and the list in, entitlements out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tongzhou.elders.ages import age_on

TIER_NAMES = {"main": "本岛及连岛", "outer_town": "有镇建制的离岛", "small": "无镇建制的小岛"}
LIVING_NAMES = {"alone": "独居", "empty_nest": "空巢"}
ASSESSMENT_NAMES = {0: "能力完好", 1: "轻度失能", 2: "中度失能", 3: "重度失能", 4: "完全失能"}


@dataclass(frozen=True)
class Membership:
    category: str
    name: str
    valid_from: dt.date
    valid_to: dt.date | None
    assessment_level: int | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class ElderFacts:
    birth_date: dt.date
    memberships: tuple[Membership, ...]
    living: str
    island_tier: str
    alive_on: dt.date | None = None  # last day the elder is served (death or moving away)


@dataclass(frozen=True)
class GroupRule:
    code: str
    name: str
    min_age: int | None = None
    max_age: int | None = None
    categories: tuple[str, ...] = ()
    living: tuple[str, ...] = ()
    min_assessment_level: int | None = None
    island_tiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemRule:
    code: str
    groups: tuple[str, ...]
    quantity: int
    small_quantity: int | None = None
    min_age: int | None = None
    delivery: str = "home"
    outer_delivery: str = ""
    small_delivery: str = ""

    def quantity_on(self, tier: str) -> int:
        return self.small_quantity if tier == "small" and self.small_quantity else self.quantity

    def delivery_on(self, tier: str) -> str:
        if tier == "small" and self.small_delivery:
            return self.small_delivery
        if tier in ("small", "outer_town") and self.outer_delivery:
            return self.outer_delivery
        return self.delivery


@dataclass(frozen=True)
class Reason:
    group: str
    name: str
    since: dt.date
    why: str

    def as_json(self) -> dict[str, str]:
        return {
            "group": self.group,
            "name": self.name,
            "since": self.since.isoformat(),
            "why": self.why,
        }


@dataclass(frozen=True)
class Entitled:
    item: str
    quantity: int
    delivery: str
    since: dt.date
    reasons: tuple[Reason, ...] = field(default=())


def turned(birth_date: dt.date, years: int) -> dt.date:
    """The first day on which a person born on `birth_date` is `years` old."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # born on 29 February: a year older from 1 March
        return dt.date(birth_date.year + years, 3, 1)


def group_reason(
    rule: GroupRule, facts: ElderFacts, day: dt.date, list_from: dt.date
) -> Reason | None:
    """Why the elder belongs to the group on `day`, or None. `since` is the latest of the
    days each condition became true (and the list version came into force); a condition the
    register keeps no date for holds from `day`, the day the platform sees it."""
    age = age_on(facts.birth_date, day)
    parts: list[str] = []
    since = list_from
    if rule.min_age is not None:
        if age < rule.min_age:
            return None
        since = max(since, turned(facts.birth_date, rule.min_age))
    if rule.max_age is not None and age > rule.max_age:
        return None
    if rule.min_age is not None or rule.max_age is not None:
        parts.append(f"{age}周岁")
    if rule.categories or rule.living:
        who = _who(rule, facts, day)
        if who is None:
            return None
        label, who_since = who
        parts.append(label)
        # An undated fact (the living arrangement) is known to hold from the day it is seen.
        since = max(since, who_since if who_since is not None else day)
    if rule.island_tiers:
        if facts.island_tier not in rule.island_tiers:
            return None
        parts.append(f"住在{TIER_NAMES.get(facts.island_tier, facts.island_tier)}")
        since = max(since, day)  # the register keeps no date of a move
    return Reason(rule.code, rule.name, since, "，".join(parts) or "全体老年人")


def _who(rule: GroupRule, facts: ElderFacts, day: dt.date) -> tuple[str, dt.date | None] | None:
    """The first matching category (with the earliest start among matches) or living
    arrangement; a category with an assessment below the rule's floor does not match."""
    matches = [
        m
        for m in facts.memberships
        if m.category in rule.categories
        and m.valid_on(day)
        and (
            rule.min_assessment_level is None
            or (m.assessment_level is not None and m.assessment_level >= rule.min_assessment_level)
        )
    ]
    if matches:
        first = min(matches, key=lambda m: m.valid_from)
        label = first.name
        if first.assessment_level is not None:
            label = f"{label}（{ASSESSMENT_NAMES.get(first.assessment_level, '')}）"
        return (label, first.valid_from)
    if facts.living in rule.living:
        return (LIVING_NAMES.get(facts.living, facts.living), None)
    return None


def entitlements_on(
    facts: ElderFacts,
    groups: Sequence[GroupRule],
    items: Iterable[ItemRule],
    day: dt.date,
    list_from: dt.date,
) -> list[Entitled]:
    """Every item the elder is entitled to on `day`. An elder in several groups that give
    the same item gets it once, in the largest quantity, with every group as a reason."""
    if facts.alive_on is not None and day > facts.alive_on:
        return []
    matched = {
        rule.code: reason
        for rule in groups
        if (reason := group_reason(rule, facts, day, list_from)) is not None
    }
    answer = []
    for item in items:
        reasons = tuple(matched[code] for code in item.groups if code in matched)
        if not reasons:
            continue
        since = min(reason.since for reason in reasons)
        if item.min_age is not None:
            if age_on(facts.birth_date, day) < item.min_age:
                continue
            since = max(since, turned(facts.birth_date, item.min_age))
        answer.append(
            Entitled(
                item=item.code,
                quantity=item.quantity_on(facts.island_tier),
                delivery=item.delivery_on(facts.island_tier),
                since=since,
                reasons=reasons,
            )
        )
    return answer


def period_id(period: str, day: dt.date) -> str:
    """DHIS2-style ids: 202612, 2026Q4, 2026; ONCE for a one-off."""
    if period == "month":
        return f"{day.year}{day.month:02d}"
    if period == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return str(day.year)
    return "ONCE"


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date | None]:
    """First and last day of the period holding `day` (a one-off never ends)."""
    if period == "month":
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    if period == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        first = dt.date(day.year, first_month, 1)
        nxt = dt.date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if period == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return dt.date.min, None
