"""Reads of reference geography. Regions and islands are public reference data: every
signed-in user may read all of them; what lies *in* a region is scoped elsewhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from tongzhou.access.scope import scope_for
from tongzhou.geo.models import Island, Region, RegionLevel


def region_list(*, level: str | None = None, parent_code: str | None = None) -> QuerySet[Region]:
    queryset = Region.objects.select_related("island")
    if level:
        queryset = queryset.filter(level=level)
    if parent_code:
        queryset = queryset.filter(parent__code=parent_code)
    return queryset


def region_get(*, code: str) -> Region | None:
    return Region.objects.select_related("island", "parent").filter(code=code).first()


def island_list() -> QuerySet[Island]:
    return Island.objects.select_related("county")


def city_code() -> str:
    """The code of the city this platform serves (settings.TONGZHOU["CITY_CODE"])."""
    return str(settings.TONGZHOU["CITY_CODE"])


def city_path() -> str:
    """The materialised path of the city: everything the platform holds lies under it."""
    return f"{city_code()}/"


# Loaded reference regions keep their ids, so a code's id can be kept for the process's life.
_region_pks: dict[str, int] = {}


def region_pk(code: str) -> int:
    """The id of the region with this code (the city's, a district's …)."""
    found = _region_pks.get(code)
    if found is None:
        found = _region_pks[code] = Region.objects.values_list("pk", flat=True).get(code=code)
    return found


def clear_caches() -> None:
    """For tests, whose databases come and go."""
    _region_pks.clear()


def villages_visible_to(actor: Any) -> QuerySet[Region]:
    """The villages and communities inside the actor's area, in code order."""
    return Region.objects.filter(
        scope_for(actor).region_q("path"), level=RegionLevel.VILLAGE
    ).order_by("code")
