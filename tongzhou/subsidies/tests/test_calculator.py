"""Property tests for the quote: parts add up, nothing negative, caps hold, most generous wins."""

from hypothesis import assume, given
from hypothesis import strategies as st

from tongzhou.core.money import split_by_basis_points
from tongzhou.subsidies.calculator import (
    FUNDERS,
    Mode,
    Outcome,
    PolicySpec,
    QuoteInput,
    RuleSpec,
    draw_from_purses,
    quote,
)

BANDS = ["60-69", "70-79", "80-89", "90+"]
CATEGORIES = ["dibao", "tekun", "disabled", "living_alone"]
SESSIONS = ["breakfast", "lunch", "dinner"]


@st.composite
def shares(draw: st.DrawFn) -> dict[str, int]:
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=3, max_size=3)))
    bounds = [0, *cuts, 10_000]
    return {funder: bounds[i + 1] - bounds[i] for i, funder in enumerate(FUNDERS)}


@st.composite
def rules(draw: st.DrawFn, rule_id: int) -> RuleSpec:
    by_category = draw(st.booleans())
    return RuleSpec(
        rule_id=rule_id,
        label=f"r{rule_id}",
        mode=draw(st.sampled_from(list(Mode))),
        amount_fen=draw(st.integers(0, 3000)),
        shares_bp=draw(shares()),
        age_band=None if by_category else draw(st.sampled_from(BANDS)),
        category=draw(st.sampled_from(CATEGORIES)) if by_category else None,
        session=draw(st.one_of(st.none(), st.sampled_from(SESSIONS))),
    )


@st.composite
def policies(draw: st.DrawFn) -> PolicySpec:
    count = draw(st.integers(0, 8))
    return PolicySpec(
        version_id=1,
        rules=tuple(draw(rules(i + 1)) for i in range(count)),
        min_spend_fen=draw(st.integers(0, 1500)),
        monthly_cap_meals=draw(st.one_of(st.none(), st.integers(0, 62))),
    )


meals = st.builds(
    QuoteInput,
    total_fen=st.integers(0, 20_000),
    age_band=st.sampled_from(BANDS),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=3),
    session=st.sampled_from(SESSIONS),
    subsidised_this_session=st.booleans(),
    subsidised_this_month=st.integers(0, 70),
    decline_subsidy=st.booleans(),
)


@given(policies(), meals)
def test_parts_add_up_and_nothing_is_negative(policy: PolicySpec, meal: QuoteInput) -> None:
    result = quote(policy, meal)
    assert result.subsidy_fen + result.elder_share_fen == meal.total_fen
    assert sum(result.funders.values()) == result.subsidy_fen
    assert result.subsidy_fen >= 0 and result.elder_share_fen >= 0
    assert all(amount >= 0 for amount in result.funders.values())


@given(policies(), meals)
def test_caps_are_never_exceeded(policy: PolicySpec, meal: QuoteInput) -> None:
    result = quote(policy, meal)
    if meal.subsidised_this_session:
        assert result.subsidy_fen == 0
    if (
        policy.monthly_cap_meals is not None
        and meal.subsidised_this_month >= policy.monthly_cap_meals
    ):
        assert result.subsidy_fen == 0
    if meal.total_fen < policy.min_spend_fen or meal.decline_subsidy:
        assert result.subsidy_fen == 0


@given(policies(), meals)
def test_the_most_generous_matching_rule_applies(policy: PolicySpec, meal: QuoteInput) -> None:
    assume(not meal.subsidised_this_session and not meal.decline_subsidy)
    assume(meal.total_fen >= policy.min_spend_fen)
    assume(
        policy.monthly_cap_meals is None or meal.subsidised_this_month < policy.monthly_cap_meals
    )
    result = quote(policy, meal)
    matching = [r for r in policy.rules if r.matches(meal.age_band, meal.categories, meal.session)]
    best = max((r.subsidy_for(meal.total_fen) for r in matching), default=0)
    assert result.subsidy_fen == best
    if best:
        assert result.outcome == Outcome.APPLIED and result.rule is not None
        assert result.rule.subsidy_for(meal.total_fen) == best


@given(st.integers(0, 10**9), shares())
def test_split_is_exact_and_close_to_the_shares(amount: int, split: dict[str, int]) -> None:
    parts = split_by_basis_points(amount, split)
    assert sum(parts.values()) == amount
    for funder, bp in split.items():
        assert abs(parts[funder] - amount * bp / 10_000) < 1


@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 5000))
def test_purse_draw_order_and_shortfall(share: int, subsidy: int, charity: int, own: int) -> None:
    draw = draw_from_purses(
        share, subsidy_purse_fen=subsidy, charity_purse_fen=charity, own_fen=own
    )
    assert (
        draw.subsidy_purse_fen + draw.charity_purse_fen + draw.own_fen + draw.shortfall_fen == share
    )
    assert draw.subsidy_purse_fen <= subsidy and draw.charity_purse_fen <= charity
    assert draw.own_fen <= own
    if draw.charity_purse_fen:
        assert draw.subsidy_purse_fen == min(share, subsidy)
    assert draw.shortfall_fen == max(share - subsidy - charity - own, 0)


def test_the_shipped_default_in_words() -> None:
    import json
    from pathlib import Path

    data = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "default_policy.json").read_text()
    )
    policy = PolicySpec(
        version_id=1,
        min_spend_fen=data["min_spend_fen"],
        rules=tuple(
            RuleSpec(
                rule_id=i,
                label=r["label"],
                mode=Mode(r["mode"]),
                amount_fen=r["amount_fen"],
                shares_bp={f: r[f"{f}_bp"] for f in FUNDERS},
                age_band=r.get("age_band"),
                category=r.get("category"),
            )
            for i, r in enumerate(data["rules"], start=1)
        ),
    )

    def pays(band: str, *categories: str) -> int:
        meal = QuoteInput(1200, band, frozenset(categories), "lunch")
        return quote(policy, meal).elder_share_fen

    assert [pays(b) for b in BANDS] == [400, 200, 100, 0]
    assert pays("60-69", "tekun") == 0
    assert pays("60-69", "dibao") == 100
    assert pays("80-89", "dibao") == 100
