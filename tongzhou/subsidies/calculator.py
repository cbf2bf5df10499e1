"""The subsidy quote: plain data in, plain data out, no database.

Given a meal's total, the elder's age band and categories on the day, and the policy version
in force, it says how much is subsidised, under which rule, and who pays which part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tongzhou.core.money import split_by_basis_points

FUNDERS = ("district", "city", "charity", "canteen")


class Mode(StrEnum):
    ELDER_PAYS = "elder_pays"  # the elder pays at most `amount_fen`; the rest is subsidised
    SUBSIDY = "subsidy"  # `amount_fen` is subsidised (at most the total)


class Outcome(StrEnum):
    APPLIED = "applied"
    NO_RULE = "no_rule"
    BELOW_MINIMUM = "below_minimum"
    SESSION_CAP = "session_cap"
    MONTHLY_CAP = "monthly_cap"
    DECLINED = "declined"  # the elder chose to pay full price


@dataclass(frozen=True)
class RuleSpec:
    rule_id: int
    label: str
    mode: Mode
    amount_fen: int
    shares_bp: dict[str, int]
    age_band: str | None = None
    category: str | None = None
    session: str | None = None  # None: every session

    def matches(self, age_band: str, categories: frozenset[str], session: str) -> bool:
        if self.session is not None and self.session != session:
            return False
        if self.age_band is not None and self.age_band != age_band:
            return False
        return self.category is None or self.category in categories

    def subsidy_for(self, total_fen: int) -> int:
        if self.mode == Mode.ELDER_PAYS:
            return max(total_fen - self.amount_fen, 0)
        return min(self.amount_fen, total_fen)


@dataclass(frozen=True)
class PolicySpec:
    version_id: int
    rules: tuple[RuleSpec, ...]
    min_spend_fen: int = 0
    monthly_cap_meals: int | None = None


@dataclass(frozen=True)
class QuoteInput:
    total_fen: int
    age_band: str
    categories: frozenset[str]
    session: str
    subsidised_this_session: bool = False
    subsidised_this_month: int = 0
    decline_subsidy: bool = False


@dataclass(frozen=True)
class Quote:
    total_fen: int
    subsidy_fen: int
    elder_share_fen: int
    outcome: Outcome
    rule: RuleSpec | None = None
    funders: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FUNDERS, 0))


def quote(policy: PolicySpec, meal: QuoteInput) -> Quote:
    if meal.total_fen < 0:
        raise ValueError("a meal total cannot be negative")

    def unsubsidised(outcome: Outcome) -> Quote:
        return Quote(meal.total_fen, 0, meal.total_fen, outcome)

    if meal.decline_subsidy:
        return unsubsidised(Outcome.DECLINED)
    candidates = [
        rule for rule in policy.rules if rule.matches(meal.age_band, meal.categories, meal.session)
    ]
    if not candidates:
        return unsubsidised(Outcome.NO_RULE)
    if meal.total_fen < policy.min_spend_fen:
        return unsubsidised(Outcome.BELOW_MINIMUM)
    if meal.subsidised_this_session:
        return unsubsidised(Outcome.SESSION_CAP)
    if (
        policy.monthly_cap_meals is not None
        and meal.subsidised_this_month >= policy.monthly_cap_meals
    ):
        return unsubsidised(Outcome.MONTHLY_CAP)
    # The most generous rule wins; ties go to the lowest rule id so quotes are repeatable.
    best = max(candidates, key=lambda rule: (rule.subsidy_for(meal.total_fen), -rule.rule_id))
    subsidy = best.subsidy_for(meal.total_fen)
    if subsidy == 0:
        return Quote(meal.total_fen, 0, meal.total_fen, Outcome.NO_RULE)
    return Quote(
        total_fen=meal.total_fen,
        subsidy_fen=subsidy,
        elder_share_fen=meal.total_fen - subsidy,
        outcome=Outcome.APPLIED,
        rule=best,
        funders=split_by_basis_points(subsidy, {f: best.shares_bp.get(f, 0) for f in FUNDERS}),
    )


@dataclass(frozen=True)
class PurseDraw:
    subsidy_purse_fen: int
    charity_purse_fen: int
    own_fen: int
    shortfall_fen: int


def draw_from_purses(
    share_fen: int, *, subsidy_purse_fen: int, charity_purse_fen: int, own_fen: int
) -> PurseDraw:
    """The elder's share is paid from the government-subsidy purse, then the charity
    allowance, then their own money; whatever is still missing is the shortfall."""
    remaining = share_fen
    from_subsidy = min(remaining, max(subsidy_purse_fen, 0))
    remaining -= from_subsidy
    from_charity = min(remaining, max(charity_purse_fen, 0))
    remaining -= from_charity
    from_own = min(remaining, max(own_fen, 0))
    remaining -= from_own
    return PurseDraw(from_subsidy, from_charity, from_own, remaining)
