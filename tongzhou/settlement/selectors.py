"""Reads for settlement: what a statement holds (or would hold, while it is a draft), per
funder, session and category; statements inside the actor's area."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.core.errors import NotFound
from tongzhou.meals.models import Meal
from tongzhou.settlement.amounts import FUNDERS, funder_expression
from tongzhou.settlement.models import (
    EntryKind,
    SettlementPeriod,
    Statement,
    StatementEntry,
    StatementStatus,
)


def pending_sales(statement: Statement) -> QuerySet[Meal]:
    """Sales of the canteen dated up to the period's end and not yet in any statement."""
    settled = StatementEntry.objects.filter(meal=OuterRef("pk"), kind=EntryKind.SALE)
    return Meal.objects.filter(
        canteen_id=statement.canteen_id, business_date__lte=statement.period.ends_on
    ).filter(~Exists(settled))


def pending_reversals(statement: Statement) -> QuerySet[Meal]:
    """Voids and refunds dated up to the period's end and not yet in any statement."""
    settled = StatementEntry.objects.filter(meal=OuterRef("pk"), kind=EntryKind.REVERSAL)
    return Meal.objects.filter(
        canteen_id=statement.canteen_id,
        reversal__isnull=False,
        reversal__business_date__lte=statement.period.ends_on,
    ).filter(~Exists(settled))


def statement_meals(statement: Statement) -> tuple[QuerySet[Meal], QuerySet[Meal]]:
    """What the statement holds; a draft (never submitted, or sent back) also what would
    join it if it were submitted now."""
    entries = StatementEntry.objects.filter(statement=statement)
    sales = Q(pk__in=entries.filter(kind=EntryKind.SALE).values("meal_id"))
    reversals = Q(pk__in=entries.filter(kind=EntryKind.REVERSAL).values("meal_id"))
    if statement.status == StatementStatus.DRAFT:
        sales |= Q(pk__in=pending_sales(statement).values("pk"))
        reversals |= Q(pk__in=pending_reversals(statement).values("pk"))
    return Meal.objects.filter(sales), Meal.objects.filter(reversals)


def meal_sums(meals: QuerySet[Meal]) -> dict[str, int]:
    zero = Value(0, output_field=IntegerField())
    aggregates: dict[str, Any] = {f: Coalesce(Sum(funder_expression(f)), zero) for f in FUNDERS}
    aggregates["total"] = Coalesce(Sum("total_fen"), zero)
    aggregates["delivery_fee"] = Coalesce(Sum("delivery_fee_fen"), zero)
    aggregates["delivery_subsidy"] = Coalesce(Sum("delivery_subsidy_fen"), zero)
    aggregates["count"] = Count("pk")
    return {key: int(value) for key, value in meals.aggregate(**aggregates).items()}


@dataclass
class StatementFigures:
    sales: dict[str, int]  # per funder and "total", "count", "delivery_fee" …
    reversals: dict[str, int]
    by_session: dict[str, int]
    by_category: dict[str, int]
    elder_days: int
    operating_fen: int
    adjustments: int  # entries dated in an earlier period
    funders: dict[str, int] = field(default_factory=dict)  # net owed per funder

    @property
    def net_total(self) -> int:
        return self.sales["total"] - self.reversals["total"]

    @property
    def payable_fen(self) -> int:
        """What the funders pay the canteen: all but its own discount, plus operating."""
        return sum(v for f, v in self.funders.items() if f != "canteen") + self.operating_fen

    def as_json(self) -> dict[str, Any]:
        return {
            "sales": self.sales, "reversals": self.reversals, "by_session": self.by_session,
            "by_category": self.by_category, "elder_days": self.elder_days,
            "operating_fen": self.operating_fen, "adjustments": self.adjustments,
            "funders": self.funders, "payable_fen": self.payable_fen,
        }  # fmt: skip


def statement_figures(statement: Statement) -> StatementFigures:
    """Computed from the sales themselves: for a draft what it would hold if submitted now,
    for a submitted statement what it holds."""
    sales, reversals = statement_meals(statement)
    sale_sums, reversal_sums = meal_sums(sales), meal_sums(reversals)
    by_session = dict(
        sales.values_list("session").annotate(n=Count("pk")).values_list("session", "n")
    )
    by_category: Counter[str] = Counter()
    for categories in sales.values_list("categories", flat=True):
        by_category.update(categories or ["none"])
    reversed_ids = set(reversals.values_list("pk", flat=True))
    rates: dict[tuple[int, dt.date], int] = {}
    for elder_id, day, rate, pk in sales.values_list(
        "elder_id", "business_date", "policy__operating_fen_per_elder_day", "pk"
    ):
        if pk not in reversed_ids:
            rates[(elder_id, day)] = max(rate, rates.get((elder_id, day), 0))
    start = statement.period.starts_on
    adjustments = (
        sales.filter(business_date__lt=start).count()
        + reversals.filter(reversal__business_date__lt=start).count()
    )
    return StatementFigures(
        sales=sale_sums,
        reversals=reversal_sums,
        by_session=by_session,
        by_category=dict(by_category.most_common()),
        elder_days=len(rates),
        operating_fen=sum(rates.values()),
        adjustments=adjustments,
        funders={f: sale_sums[f] - reversal_sums[f] for f in FUNDERS},
    )


def statements_visible_to(actor: Any) -> QuerySet[Statement]:
    require_cap(actor, Cap.MEAL_VIEW, "查看结算", "see settlement")
    return Statement.objects.filter(scope_for(actor).canteen_q("canteen__")).select_related(
        "period", "canteen__village"
    )


def statement_get(*, actor: Any, statement_id: int) -> Statement:
    statement = statements_visible_to(actor).filter(pk=statement_id).first()
    if statement is None:
        raise NotFound("结算单", "statement")
    return statement


def periods_with_statements(actor: Any) -> list[tuple[SettlementPeriod, list[Statement]]]:
    statements = statements_visible_to(actor).order_by("-period__starts_on", "canteen__code")
    grouped: dict[int, tuple[SettlementPeriod, list[Statement]]] = {}
    for statement in statements:
        grouped.setdefault(statement.period_id, (statement.period, []))[1].append(statement)
    return list(grouped.values())


def open_reviews(actor: Any) -> QuerySet[Statement]:
    """Statements waiting for this actor's step."""
    step = Q(pk__in=[])
    if has_cap(actor, Cap.SETTLEMENT_REVIEW):
        step |= Q(status=StatementStatus.SUBMITTED)
    if has_cap(actor, Cap.SETTLEMENT_APPROVE):
        step |= Q(status__in=[StatementStatus.REVIEWED, StatementStatus.APPROVED])
    return statements_visible_to(actor).filter(step)
