"""How a sale's money splits among the funders who pay the canteen back, said once for the
statement (from the sale), the ledger (from its postings) and the analytics engine (SQL)."""

from __future__ import annotations

from django.db.models import F
from django.db.models.expressions import CombinedExpression

from tongzhou.ledger.models import AccountKind
from tongzhou.settlement.models import Funder

# A sale's own record: which of its amounts each funder pays.
MEAL_FIELDS: dict[str, tuple[str, ...]] = {
    Funder.DISTRICT: ("district_fen", "delivery_subsidy_fen", "subsidy_purse_fen"),
    Funder.CITY: ("city_fen",),
    Funder.CHARITY: ("charity_fen", "charity_purse_fen"),
    Funder.PREPAID: ("own_fen",),
    Funder.CANTEEN: ("canteen_discount_fen",),
}

# The same money in the ledger: the accounts a sale's journal credits, by funder. The
# subsidy purse was filled from the district fund, the charity allowance from the charity
# fund; own money is the elders' prepaid balance.
LEDGER_KINDS: dict[str, tuple[str, ...]] = {
    Funder.DISTRICT: (AccountKind.DISTRICT_FUND, AccountKind.ELDER_SUBSIDY),
    Funder.CITY: (AccountKind.CITY_FUND,),
    Funder.CHARITY: (AccountKind.CHARITY_FUND, AccountKind.ELDER_CHARITY),
    Funder.PREPAID: (AccountKind.ELDER_OWN,),
    Funder.CANTEEN: (AccountKind.CANTEEN_DISCOUNT,),
}
FUNDERS: tuple[str, ...] = tuple(MEAL_FIELDS)


def funder_expression(funder: str, prefix: str = "") -> F | CombinedExpression:
    """The ORM expression of a funder's share of a sale (`prefix` leads to the meal)."""
    names = MEAL_FIELDS[funder]
    expression: F | CombinedExpression = F(prefix + names[0])
    for name in names[1:]:
        expression = expression + F(prefix + name)
    return expression


def funder_sql(funder: str, table: str = "") -> str:
    """The same share as an SQL expression over the sale's columns."""
    return " + ".join(f"{table}{name}" for name in MEAL_FIELDS[funder])
