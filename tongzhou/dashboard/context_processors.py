"""The top bar shows each user the pages their role can use, nothing else."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.coverage.selectors import may_see_coverage


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "bookings": has_cap(user, Cap.BOOKING_EDIT),
            "kitchen": getattr(user, "canteen_id", None)
            if has_cap(user, Cap.KITCHEN_VIEW)
            else None,
            "delivery": has_cap(user, Cap.DELIVERY_RECORD),
            "alerts": has_cap(user, Cap.ALERT_CLOSE),
            "coverage": may_see_coverage(user),
            "settlement": has_cap(user, Cap.MEAL_VIEW),
        }
    }
