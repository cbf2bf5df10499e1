from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.canteens.models import MealSession
from tongzhou.core import clock
from tongzhou.meals.models import Dish, Meal, Menu, MenuItem


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


def counter_today(terminal: Any) -> dict[str, Any]:
    """Today's sessions and menus at the terminal's canteen, for the counter page."""
    local = timezone.localtime(clock.now())
    canteen = terminal.canteen
    items: dict[str, list[dict[str, Any]]] = {}
    for item in (
        MenuItem.objects.filter(menu__canteen=canteen, menu__date=local.date())
        .select_related("dish", "menu")
        .order_by("dish__price_fen")
    ):
        items.setdefault(item.menu.session, []).append(
            {"id": item.pk, "name": item.dish.name, "price_fen": item.price_fen,
             "diet": item.dish.diet_tags}
        )  # fmt: skip
    sessions = []
    current = None
    for session in MealSession.objects.filter(canteen=canteen).order_by("starts_at"):
        open_now = session.starts_at <= local.time() <= session.ends_at
        if open_now:
            current = session.kind
        sessions.append(
            {
                "kind": session.kind,
                "starts_at": f"{session.starts_at:%H:%M}",
                "ends_at": f"{session.ends_at:%H:%M}",
                "open_now": open_now,
                "items": items.get(session.kind, []),
            }
        )
    return {
        "canteen": canteen.name,
        "terminal": terminal.name,
        "business_date": local.date().isoformat(),
        "current_session": current,
        "sessions": sessions,
    }
