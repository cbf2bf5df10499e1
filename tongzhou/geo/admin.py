from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ReferenceAdmin
from tongzhou.geo.models import Island, Region


@admin.register(Region)
class RegionAdmin(ReferenceAdmin):
    list_display = ("name", "code", "mca_code", "level", "kind", "parent", "island")
    list_filter = ("level", "kind")
    search_fields = ("name", "code")
    list_select_related = ("parent", "island")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return Region.objects.all()


@admin.register(Island)
class IslandAdmin(ReferenceAdmin):
    list_display = (
        "name",
        "county",
        "area_km2",
        "official_area_km2",
        "has_town",
        "fixed_link",
        "population",
    )
    list_filter = ("has_town", "fixed_link", "county")
    search_fields = ("name",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Island]:
        return Island.objects.select_related("county")
