"""What an elder (or their family) sees on their own page."""

from __future__ import annotations

import math
from typing import Any

from django.utils import timezone

from tongzhou.canteens.models import Canteen, CanteenStatus, MenuItem
from tongzhou.core import clock
from tongzhou.elders.models import Elder
from tongzhou.ledger.services import purses_for
from tongzhou.meals.models import Meal


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    radius = 6371.0
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    across = math.cos(math.radians(lat1)) * math.cos(math.radians(lat2))
    a = math.sin(dlat / 2) ** 2 + across * math.sin(dlon / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def elder_page(elder: Elder) -> dict[str, Any]:
    purses = purses_for(elder.pk)
    meals = list(
        Meal.objects.filter(elder=elder).select_related("canteen").order_by("-created_at")[:20]
    )
    home = elder.residence
    canteens = list(Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("island"))
    if home.lon is not None and home.lat is not None:
        canteens.sort(key=lambda c: _km(home.lon or 0, home.lat or 0, c.lon, c.lat))
        distances = {c.pk: _km(home.lon or 0, home.lat or 0, c.lon, c.lat) for c in canteens}
    else:
        distances = {}
    nearby = canteens[:5]
    today = timezone.localdate(clock.now())
    menus: dict[int, list[MenuItem]] = {}
    for item in MenuItem.objects.filter(
        menu__canteen__in=nearby, menu__date=today, menu__session="lunch"
    ).select_related("dish", "menu"):
        menus.setdefault(item.menu.canteen_id, []).append(item)
    return {
        "elder": elder,
        "purses": {kind: account.balance_fen for kind, account in purses.items()},
        "meals": meals,
        "nearby": [
            {"canteen": c, "km": distances.get(c.pk), "menu": menus.get(c.pk, [])} for c in nearby
        ],
    }
