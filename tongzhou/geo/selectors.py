"""Reads of reference geography. Regions and islands are public reference data: every
signed-in user may read all of them; what lies *in* a region is scoped elsewhere."""

from __future__ import annotations

from django.db.models import QuerySet

from tongzhou.geo.models import Island, Region


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
