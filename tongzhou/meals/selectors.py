from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.meals.models import SESSION_CHOICES, Meal, MealStatus


def meals_visible_to(actor: Any) -> QuerySet[Meal]:
    if not has_cap(actor, Cap.MEAL_VIEW):
        return Meal.objects.none()
    return Meal.objects.filter(scope_for(actor).canteen_q("canteen__"))


# Who paid for the sales: the elder's three purses, then the funds' subsidy and charity.
SUMMARY_SOURCES = (
    ("own_fen", "own"),
    ("subsidy_purse_fen", "subsidy_purse"),
    ("charity_purse_fen", "charity_purse"),
    ("subsidy_fen", "subsidy"),
    ("charity_fen", "charity"),
)


def day_summary(meals: QuerySet[Meal], day: dt.date) -> dict[str, Any]:
    """A day of sales (a counter's, a canteen's) for the end-of-day check: per session in
    serving order, the sales, their total and who paid it; the totals; and the voids."""
    of_day = meals.filter(business_date=day)
    sold = of_day.filter(status=MealStatus.COMPLETED)
    sums = {name: Coalesce(Sum(field), 0) for field, name in SUMMARY_SOURCES}
    by_session: dict[str, dict[str, Any]] = {
        row["session"]: dict(row)
        for row in sold.values("session").annotate(
            meals=Count("pk"), total_fen=Coalesce(Sum("total_fen"), 0), **sums
        )
    }
    rows = [by_session[key] for key, _label in SESSION_CHOICES if key in by_session]
    voided = of_day.filter(status=MealStatus.VOIDED).aggregate(
        n=Count("pk"), fen=Coalesce(Sum("total_fen"), 0)
    )
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("meals", "total_fen", *(name for _field, name in SUMMARY_SOURCES))
    }
    return {
        "business_date": day,
        "sessions": rows,
        "totals": totals,
        "voided": voided["n"],
        "voided_fen": voided["fen"],
    }
