from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tongzhou.accounts.roles import Cap
from tongzhou.accounts.scope import has_cap, scope_for
from tongzhou.meals.models import Dish, Meal, Menu


def meals_visible_to(actor: Any) -> QuerySet[Meal]:
    if not has_cap(actor, Cap.MEAL_VIEW):
        return Meal.objects.none()
    return Meal.objects.filter(scope_for(actor).canteen_q("canteen__"))


def dishes_visible_to(actor: Any) -> QuerySet[Dish]:
    if not has_cap(actor, Cap.CANTEEN_VIEW):
        return Dish.objects.none()
    return Dish.objects.filter(scope_for(actor).canteen_q("canteen__"))


def menus_visible_to(actor: Any) -> QuerySet[Menu]:
    if not has_cap(actor, Cap.CANTEEN_VIEW):
        return Menu.objects.none()
    return Menu.objects.filter(scope_for(actor).canteen_q("canteen__"))
