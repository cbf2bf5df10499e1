"""Reads of canteens and terminals, narrowed to the actor's area or canteen."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.canteens.models import Canteen, Terminal
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
