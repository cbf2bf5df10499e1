"""Reconciliation of a period, to the fen, per canteen and funder: the sales themselves, the
ledger postings behind them, and the submitted statement must agree; where they do not,
the sales whose record and postings differ are listed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, Sum

from tongzhou.ledger.models import AccountKind, Entry
from tongzhou.meals.models import Meal
from tongzhou.settlement.amounts import FUNDERS, LEDGER_KINDS, MEAL_FIELDS
from tongzhou.settlement.models import SettlementPeriod, Statement, StatementStatus
from tongzhou.settlement.selectors import meal_sums, statement_meals

TOTAL = "total"


@dataclass
class Row:
    statement: Statement
    funder: str
    transactions_fen: int
    ledger_fen: int
    statement_fen: int | None  # None while the statement is a draft

    @property
    def agrees(self) -> bool:
        same = self.transactions_fen == self.ledger_fen
        return same and self.statement_fen in (None, self.transactions_fen)


@dataclass
class Reconciliation:
    period: SettlementPeriod
    rows: list[Row] = field(default_factory=list)
    records: dict[int, list[str]] = field(default_factory=dict)  # statement → receipts

    @property
    def differences(self) -> list[Row]:
        return [row for row in self.rows if not row.agrees]

    @property
    def ok(self) -> bool:
        return not self.differences


def _ledger(sales: QuerySet[Meal], reversals: QuerySet[Meal]) -> dict[str, int]:
    """Per funder (and the canteen's receivable as "total"), what the postings say."""
    journals = Q(journal_id__in=sales.values("journal_id")) | Q(
        journal_id__in=reversals.values("reversal_id")
    )
    by_kind = dict(
        Entry.objects.filter(journals)
        .values_list("account__kind")
        .annotate(total=Sum("amount_fen"))
        .values_list("account__kind", "total")
    )
    figures = {f: -sum(by_kind.get(kind, 0) for kind in LEDGER_KINDS[f]) for f in FUNDERS}
    figures[TOTAL] = by_kind.get(AccountKind.CANTEEN_RECEIVABLE, 0)
    return figures


def _mismatched_sales(meals: QuerySet[Meal]) -> list[str]:
    """Receipts whose own split differs from their journal's postings."""
    found = []
    entries: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = Entry.objects.filter(journal_id__in=meals.values("journal_id")).values_list(
        "journal_id", "account__kind", "amount_fen"
    )
    for journal_id, kind, amount in rows:
        entries[journal_id][kind] += amount
    for meal in meals:
        posted = entries[meal.journal_id]
        for funder in FUNDERS:
            own = sum(getattr(meal, name) for name in MEAL_FIELDS[funder])
            if own != -sum(posted.get(kind, 0) for kind in LEDGER_KINDS[funder]):
                found.append(meal.receipt_no)
                break
    return found


def reconcile(
    period: SettlementPeriod, statements: list[Statement] | None = None
) -> Reconciliation:
    result = Reconciliation(period)
    chosen = statements if statements is not None else list(
        period.statements.select_related("canteen", "period").order_by("canteen__code")
    )  # fmt: skip
    for statement in chosen:
        sales, reversals = statement_meals(statement)
        sale_sums, reversal_sums = meal_sums(sales), meal_sums(reversals)
        ledger = _ledger(sales, reversals)
        kept = statement.totals if statement.status != StatementStatus.DRAFT else None
        for funder in (*FUNDERS, TOTAL):
            stated = None
            if kept:
                stated = (
                    kept["sales"][TOTAL] - kept["reversals"][TOTAL]
                    if funder == TOTAL
                    else kept["funders"][funder]
                )
            result.rows.append(
                Row(statement, funder, sale_sums[funder] - reversal_sums[funder],
                    ledger[funder], stated)
            )  # fmt: skip
        if any(not row.agrees for row in result.rows if row.statement is statement):
            result.records[statement.pk] = _mismatched_sales(sales)
    return result
