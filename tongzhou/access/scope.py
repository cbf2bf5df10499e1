"""What part of the city a user may see: a region subtree, one canteen, all, or nothing.

Every selector takes the actor and narrows its queryset through these helpers, so that lists,
details, exports, API answers and admin pages share one rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from tongzhou.access.roles import CANTEEN_ROLES, CAPABILITIES, REGION_ROLES, Cap, Role
from tongzhou.core.errors import PermissionDenied


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region_path: str | None = None
    canteen_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.region_path is None and self.canteen_id is None

    def region_q(self, path_field: str) -> Q:
        """Rows whose region path (reached by `path_field`) lies inside this scope."""
        if self.everything:
            return Q()
        if self.region_path is not None:
            return Q(**{f"{path_field}__startswith": self.region_path})
        return Q(pk__in=[])

    def canteen_q(self, to_canteen: str = "") -> Q:
        """Rows of canteens inside this scope; `to_canteen` is the lookup prefix from the
        queried model to its canteen ("" for canteens, "canteen__" for terminals)."""
        if self.everything:
            return Q()
        if self.region_path is not None:
            return Q(**{f"{to_canteen}village__path__startswith": self.region_path})
        if self.canteen_id is not None:
            return Q(**{f"{to_canteen}pk": self.canteen_id})
        return Q(pk__in=[])

    def contains_path(self, path: str) -> bool:
        if self.everything:
            return True
        return self.region_path is not None and path.startswith(self.region_path)


def scope_for(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    # Kept on the user object for the request: a page asks many times, the answer is fixed.
    cached = getattr(user, "_tongzhou_scope", None)
    if cached is not None:
        return cached
    scope = Scope()
    role = Role(user.role)
    if user.is_superuser:
        scope = Scope(everything=True)
    elif role in REGION_ROLES and user.region_id is not None:
        scope = Scope(region_path=user.region.path)
    elif role in CANTEEN_ROLES and user.canteen_id is not None:
        scope = Scope(canteen_id=user.canteen_id)
    user._tongzhou_scope = scope
    return scope


def level_of(user: Any) -> str:
    """The level of the region a user is bound to ("city" for a user bound to none: the
    city's own staff and the platform's administrators)."""
    region = getattr(user, "region", None)
    return region.level if region is not None else "city"


def has_cap(user: Any, cap: Cap) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return cap in CAPABILITIES[Role(user.role)]


def require_cap(user: Any, cap: Cap, action_zh: str, action_en: str) -> None:
    if not has_cap(user, cap):
        raise PermissionDenied(action_zh, action_en)
