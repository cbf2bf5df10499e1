"""The top bar shows each user the pages their role can use, nothing else."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import has_cap
from tongzhou.coverage.selectors import may_see_coverage
from tongzhou.dashboard.selectors import exports_offered

# Roles whose work is on their own pages (the counter, the round): the back office and the
# API documents would only be noise to them.
_FRONT_LINE = {Role.CASHIER, Role.DELIVERY_VOLUNTEER, Role.CARER}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    front_line = not user.is_superuser and user.role in _FRONT_LINE
    return {
        "nav": {
            "counter": user.role in (Role.CASHIER, Role.CANTEEN_MANAGER),
            "bookings": has_cap(user, Cap.BOOKING_EDIT),
            "kitchen": getattr(user, "canteen_id", None)
            if has_cap(user, Cap.KITCHEN_VIEW)
            else None,
            "delivery": has_cap(user, Cap.DELIVERY_RECORD),
            "alerts": has_cap(user, Cap.ALERT_CLOSE),
            "care": has_cap(user, Cap.CARE_VIEW),
            "visits": has_cap(user, Cap.VISIT_RECORD),
            "discovery": has_cap(user, Cap.DISCOVERY_REVIEW),
            "network": has_cap(user, Cap.CARE_VIEW),
            "board": has_cap(user, Cap.BOARD_VIEW),
            "board_raise": has_cap(user, Cap.BOARD_APPROVE),
            "oversight": has_cap(user, Cap.CANTEEN_GOVERN) or has_cap(user, Cap.CANTEEN_APPLY),
            "kitchen_records": has_cap(user, Cap.KITCHEN_RECORD) and not user.is_superuser,
            "meal_rate": has_cap(user, Cap.MEAL_RATE),
            "serve": has_cap(user, Cap.CARE_SERVE) and not user.is_superuser,
            "coverage": may_see_coverage(user),
            "settlement": has_cap(user, Cap.MEAL_VIEW) and user.role != Role.CASHIER,
            "anomalies": has_cap(user, Cap.ANOMALY_REVIEW),
            "back_office": user.is_staff and not front_line,
            "api": user.is_superuser,
            "exports": any(exports_offered(user).values()),
        }
    }
