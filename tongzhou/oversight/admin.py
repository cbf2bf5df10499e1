"""The canteens' policy data in the back office, changed by the city and audited through the
reference writer: the construction subsidy by kind and its stages, and the star policy (the
parts' weights, the bands, the rectification line, the subsidy per elder-day by stars)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.audit.services import reference_save
from tongzhou.geo.selectors import city_path
from tongzhou.oversight.models import ConstructionSubsidy, StarPolicy

SUBSIDY_FIELDS = ("kind", "valid_from", "amount_fen", "stages", "city_share_bp", "source")
STAR_FIELDS = (
    "valid_from", "weights", "bands", "rectify_below", "subsidy_fen_by_star", "city_share_bp",
    "source",
)  # fmt: skip


class CanteenPolicyAdmin(ScopedAdmin):
    """Read by the officials who oversee canteens, changed by the city."""

    view_cap = Cap.CANTEEN_GOVERN
    add_cap = change_cap = Cap.REFERENCE_EDIT
    saved_fields: tuple[str, ...] = ()

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.model._default_manager.all()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(actor=request.user, obj=obj, fields=self.saved_fields,
                       cap=Cap.REFERENCE_EDIT, scope_path=city_path())  # fmt: skip


@admin.register(ConstructionSubsidy)
class ConstructionSubsidyAdmin(CanteenPolicyAdmin):
    list_display = ("kind", "valid_from", "amount_fen", "city_share_bp", "source")
    fields = saved_fields = SUBSIDY_FIELDS


@admin.register(StarPolicy)
class StarPolicyAdmin(CanteenPolicyAdmin):
    list_display = ("valid_from", "rectify_below", "source")
    fields = saved_fields = STAR_FIELDS
