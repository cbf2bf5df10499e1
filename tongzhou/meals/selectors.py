from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.meals.models import Meal


def meals_visible_to(actor: Any) -> QuerySet[Meal]:
    if not has_cap(actor, Cap.MEAL_VIEW):
        return Meal.objects.none()
    return Meal.objects.filter(scope_for(actor).canteen_q("canteen__"))
