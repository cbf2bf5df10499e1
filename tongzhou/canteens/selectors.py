"""Reads of canteens and terminals, narrowed to the actor's area or canteen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.canteens.models import Canteen, Dish, MealSession, Menu, MenuItem, Terminal
from tongzhou.core import clock
from tongzhou.core.errors import NotFound


def canteens_visible_to(actor: Any) -> QuerySet[Canteen]:
    if not has_cap(actor, Cap.CANTEEN_VIEW):
        return Canteen.objects.none()
    return Canteen.objects.filter(scope_for(actor).canteen_q())


def canteen_list(*, actor: Any, status: str | None = None) -> QuerySet[Canteen]:
    require_cap(actor, Cap.CANTEEN_VIEW, "查看食堂", "view canteens")
    queryset = canteens_visible_to(actor).select_related("operator", "village", "island")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.prefetch_related("tags", "sessions").order_by("code")


def canteen_get(*, actor: Any, canteen_id: int) -> Canteen:
    require_cap(actor, Cap.CANTEEN_VIEW, "查看食堂", "view canteens")
    canteen = (
        canteens_visible_to(actor)
        .select_related("operator", "village__parent__parent", "island")
        .prefetch_related("tags", "sessions")
        .filter(pk=canteen_id)
        .first()
    )
    if canteen is None:
        raise NotFound("食堂", "canteen")
    return canteen


def terminals_visible_to(actor: Any) -> QuerySet[Terminal]:
    if not has_cap(actor, Cap.TERMINAL_MANAGE):
        return Terminal.objects.none()
    return Terminal.objects.filter(scope_for(actor).canteen_q("canteen__"))


def dishes_visible_to(actor: Any) -> QuerySet[Dish]:
    if not has_cap(actor, Cap.CANTEEN_VIEW):
        return Dish.objects.none()
    return Dish.objects.filter(scope_for(actor).canteen_q("canteen__"))


def menus_visible_to(actor: Any) -> QuerySet[Menu]:
    if not has_cap(actor, Cap.CANTEEN_VIEW):
        return Menu.objects.none()
    return Menu.objects.filter(scope_for(actor).canteen_q("canteen__"))


# A counter renews its own credential once it is this old (`terminal_renew`).
RENEW_AFTER = dt.timedelta(days=30)


def terminal_renew_due(terminal: Terminal) -> bool:
    issued = terminal.rotated_at or terminal.created_at
    return issued is not None and clock.now() - issued >= RENEW_AFTER


def counter_today(terminal: Terminal) -> dict[str, Any]:
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
        "credential_renew_due": terminal_renew_due(terminal),
    }


MENU_DAYS_AHEAD = 7  # a canteen publishes its menus a week ahead


@dataclass(frozen=True)
class MenuDay:
    day: dt.date
    session: str
    dishes: list[Dish]


def week_menus(canteen_ids: list[int], start: dt.date) -> dict[int, list[MenuDay]]:
    """Each canteen's published menus for the week from `start`, by day and session."""
    found: dict[int, dict[tuple[dt.date, str], list[Dish]]] = {pk: {} for pk in canteen_ids}
    for item in (
        MenuItem.objects.filter(
            menu__canteen_id__in=canteen_ids,
            menu__date__range=(start, start + dt.timedelta(days=MENU_DAYS_AHEAD - 1)),
        )
        .select_related("menu", "dish")
        .order_by("menu__date", "menu__session", "dish__name")
    ):
        found[item.menu.canteen_id].setdefault((item.menu.date, item.menu.session), []).append(
            item.dish
        )
    return {
        pk: [MenuDay(day, session, dishes) for (day, session), dishes in days.items()]
        for pk, days in found.items()
    }


def menu_gaps(canteen_ids: list[int], start: dt.date) -> dict[int, list[tuple[dt.date, str]]]:
    """The days and sessions of the coming week a canteen serves but has no menu for yet."""
    published = week_menus(canteen_ids, start)
    serves: dict[int, list[str]] = {pk: [] for pk in canteen_ids}
    for pk, kind in MealSession.objects.filter(canteen_id__in=canteen_ids).values_list(
        "canteen_id", "kind"
    ):
        serves[pk].append(kind)
    gaps: dict[int, list[tuple[dt.date, str]]] = {}
    for pk in canteen_ids:
        have = {(m.day, m.session) for m in published[pk]}
        gaps[pk] = [
            (start + dt.timedelta(days=n), kind)
            for n in range(MENU_DAYS_AHEAD)
            for kind in sorted(serves[pk])
            if (start + dt.timedelta(days=n), kind) not in have
        ]
    return gaps
