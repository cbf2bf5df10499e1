"""What an elder (or their family) sees on their own page."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Count
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


def nearby_canteens(elder: Elder, limit: int = 5) -> list[dict[str, Any]]:
    """Open canteens nearest the elder's home first, with the distance in km where known."""
    home = elder.residence
    canteens = list(Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("island"))
    if home.lon is None or home.lat is None:
        return [{"canteen": c, "km": None} for c in canteens[:limit]]
    lon, lat = home.lon, home.lat
    canteens.sort(key=lambda c: _km(lon, lat, c.lon, c.lat))
    return [{"canteen": c, "km": _km(lon, lat, c.lon, c.lat)} for c in canteens[:limit]]


def elder_page(elder: Elder, meals: int = 20) -> dict[str, Any]:
    purses = purses_for(elder.pk)
    recent = list(
        Meal.objects.filter(elder=elder).select_related("canteen").order_by("-created_at")[:meals]
    )
    nearby = nearby_canteens(elder)
    today = timezone.localdate(clock.now())
    menus: dict[int, list[MenuItem]] = {}
    for item in MenuItem.objects.filter(
        menu__canteen__in=[row["canteen"] for row in nearby],
        menu__date=today,
        menu__session="lunch",
    ).select_related("dish", "menu"):
        menus.setdefault(item.menu.canteen_id, []).append(item)
    return {
        "elder": elder,
        "purses": {kind: account.balance_fen for kind, account in purses.items()},
        "meals": recent,
        "nearby": [{**row, "menu": menus.get(row["canteen"].pk, [])} for row in nearby],
    }


def elder_canteens(elder: Elder, limit: int = 2) -> list[Canteen]:
    """The open canteens the elder ate at most over the last month."""
    since = clock.today() - dt.timedelta(days=30)
    ids = [
        pk
        for pk, _n in Meal.objects.filter(elder=elder, business_date__gte=since)
        .values_list("canteen_id")
        .annotate(n=Count("pk"))
        .order_by("-n")[:limit]
    ]
    found = {c.pk: c for c in Canteen.objects.filter(pk__in=ids, status=CanteenStatus.OPEN)}
    return [found[pk] for pk in ids if pk in found]
