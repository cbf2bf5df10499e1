"""The group rules at their boundaries: ages on the birthday, categories on their first and
last valid day, assessment floors, island tiers; periods across their ends."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tongzhou.care.rules import (
    ElderFacts,
    GroupRule,
    ItemRule,
    Membership,
    entitlements_on,
    group_reason,
    period_bounds,
    period_id,
    turned,
)

LIST_FROM = dt.date(2023, 1, 1)
EIGHTY = GroupRule("G02", "80周岁以上", min_age=80)
POOR = GroupRule("G05", "低保", min_age=60, categories=("dibao",))
DISABLED = GroupRule("G06", "失能", min_age=60, categories=("disabled",), min_assessment_level=1)
ALONE = GroupRule("G07", "独居", min_age=60, categories=("living_alone",), living=("alone",))
ISLANDS = GroupRule("G11", "海岛", min_age=60, island_tiers=("outer_town", "small"))


def facts(
    birth: dt.date = dt.date(1946, 3, 10),
    *memberships: Membership,
    living: str = "with_family",
    tier: str = "main",
    last_day: dt.date | None = None,
) -> ElderFacts:
    return ElderFacts(birth, tuple(memberships), living, tier, last_day)


def test_age_counts_from_the_birthday_itself() -> None:
    elder = facts(dt.date(1946, 3, 10))
    assert group_reason(EIGHTY, elder, dt.date(2026, 3, 9), LIST_FROM) is None
    reason = group_reason(EIGHTY, elder, dt.date(2026, 3, 10), LIST_FROM)
    assert reason is not None and reason.since == dt.date(2026, 3, 10)
    assert reason.why == "80周岁"


def test_born_on_29_february_turns_a_year_older_on_1_march() -> None:
    assert turned(dt.date(1944, 2, 29), 82) == dt.date(2026, 3, 1)
    elder = facts(dt.date(1946, 2, 28))
    assert group_reason(EIGHTY, elder, dt.date(2026, 2, 27), LIST_FROM) is None
    assert group_reason(EIGHTY, elder, dt.date(2026, 2, 28), LIST_FROM) is not None


def test_a_category_holds_from_its_first_to_its_last_valid_day() -> None:
    dibao = Membership("dibao", "低保", dt.date(2026, 1, 5), dt.date(2026, 6, 30))
    elder = facts(dt.date(1950, 1, 1), dibao)
    assert group_reason(POOR, elder, dt.date(2026, 1, 4), LIST_FROM) is None
    first = group_reason(POOR, elder, dt.date(2026, 1, 5), LIST_FROM)
    assert first is not None and first.since == dt.date(2026, 1, 5) and "低保" in first.why
    assert group_reason(POOR, elder, dt.date(2026, 6, 30), LIST_FROM) is not None
    assert group_reason(POOR, elder, dt.date(2026, 7, 1), LIST_FROM) is None


def test_an_assessment_below_the_floor_does_not_match() -> None:
    capable = Membership("disabled", "失能", dt.date(2025, 1, 1), None, 0)
    unassessed = Membership("disabled", "失能", dt.date(2025, 1, 1), None, None)
    severe = Membership("disabled", "失能", dt.date(2025, 1, 1), None, 3)
    day = dt.date(2026, 3, 1)
    assert group_reason(DISABLED, facts(dt.date(1950, 1, 1), capable), day, LIST_FROM) is None
    assert group_reason(DISABLED, facts(dt.date(1950, 1, 1), unassessed), day, LIST_FROM) is None
    reason = group_reason(DISABLED, facts(dt.date(1950, 1, 1), severe), day, LIST_FROM)
    assert reason is not None and "重度失能" in reason.why


def test_living_alone_matches_by_category_or_by_the_register() -> None:
    day = dt.date(2026, 3, 1)
    assert group_reason(ALONE, facts(dt.date(1950, 1, 1)), day, LIST_FROM) is None
    by_register = group_reason(ALONE, facts(dt.date(1950, 1, 1), living="alone"), day, LIST_FROM)
    assert by_register is not None and "独居" in by_register.why


def test_island_tier_decides_the_island_group() -> None:
    day = dt.date(2026, 3, 1)
    assert group_reason(ISLANDS, facts(dt.date(1950, 1, 1), tier="main"), day, LIST_FROM) is None
    small = group_reason(ISLANDS, facts(dt.date(1950, 1, 1), tier="small"), day, LIST_FROM)
    assert small is not None and "小岛" in small.why


def test_an_item_in_several_groups_is_given_once_with_every_reason_and_island_variants() -> None:
    cleaning = ItemRule(
        "S21",
        ("G05", "G11"),
        quantity=4,
        small_quantity=2,
        delivery="home",
        small_delivery="mobile",
    )
    dibao = Membership("dibao", "低保", dt.date(2024, 1, 1), None)
    elder = facts(dt.date(1950, 1, 1), dibao, tier="small")
    [got] = entitlements_on(elder, (POOR, ISLANDS), (cleaning,), dt.date(2026, 3, 1), LIST_FROM)
    assert (got.quantity, got.delivery) == (2, "mobile")
    assert [r.group for r in got.reasons] == ["G05", "G11"]
    # 低保 is dated; the island (the register keeps no date of a move) holds from today.
    assert got.since == dt.date(2024, 1, 1)
    assert got.reasons[1].since == dt.date(2026, 3, 1)


def test_nothing_after_the_last_day_served() -> None:
    item = ItemRule("S03", ("G02",), quantity=100)
    elder = facts(dt.date(1940, 1, 1), last_day=dt.date(2026, 2, 10))
    assert entitlements_on(elder, (EIGHTY,), (item,), dt.date(2026, 2, 10), LIST_FROM)
    assert not entitlements_on(elder, (EIGHTY,), (item,), dt.date(2026, 2, 11), LIST_FROM)


def test_an_item_with_its_own_age_starts_on_that_birthday() -> None:
    allowance = ItemRule("S03", ("G02",), quantity=100, min_age=90)
    elder = facts(dt.date(1936, 5, 20))
    assert not entitlements_on(elder, (EIGHTY,), (allowance,), dt.date(2026, 5, 19), LIST_FROM)
    [got] = entitlements_on(elder, (EIGHTY,), (allowance,), dt.date(2026, 5, 20), LIST_FROM)
    assert got.since == dt.date(2026, 5, 20)


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(["month", "quarter", "year"]),
)
def test_every_day_lies_in_its_period_and_the_period_has_one_id(day: dt.date, period: str) -> None:
    first, last = period_bounds(period, day)
    assert last is not None and first <= day <= last
    assert period_id(period, first) == period_id(period, day) == period_id(period, last)
    assert period_id(period, last + dt.timedelta(days=1)) != period_id(period, day)
    assert period_id(period, first - dt.timedelta(days=1)) != period_id(period, day)


def test_period_ids_follow_dhis2() -> None:
    day = dt.date(2026, 12, 31)
    assert [period_id(p, day) for p in ("month", "quarter", "year", "once")] == [
        "202612",
        "2026Q4",
        "2026",
        "ONCE",
    ]
