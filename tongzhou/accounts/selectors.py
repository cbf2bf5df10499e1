from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.accounts.models import User


def users_visible_to(actor: Any) -> QuerySet[User]:
    if not has_cap(actor, Cap.USER_VIEW):
        return User.objects.none()
    scope = scope_for(actor)
    queryset = User.objects.select_related("region", "canteen")
    if scope.everything:
        return queryset
    queryset = queryset.filter(is_superuser=False)
    if scope.region_path is not None:
        return queryset.filter(
            Q(region__path__startswith=scope.region_path)
            | Q(canteen__village__path__startswith=scope.region_path)
        )
    if scope.canteen_id is not None:
        return queryset.filter(canteen_id=scope.canteen_id)
    return queryset.none()
