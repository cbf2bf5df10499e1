"""The catalogue in the back office: indicators and targets, each save audited through the
reference writer (the city edits the catalogue; a district sets its own units' targets)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import scope_for
from tongzhou.audit.services import reference_save
from tongzhou.board.models import Indicator, Target
from tongzhou.board.registry import REGISTRY
from tongzhou.geo.selectors import city_path

INDICATOR_FIELDS = (
    "code",
    "name",
    "definition",
    "group",
    "measure",
    "direction",
    "unit_label",
    "function",
    "period_type",
    "responsible_unit",
    "leader",
    "baseline",
    "yellow_band",
    "provenance",
    "sort_order",
    "is_active",
)
TARGET_FIELDS = ("indicator", "region", "period_id", "value", "source")


class IndicatorForm(forms.ModelForm):
    # Computed by one of the platform's registered computations, or reported (blank).
    function = forms.ChoiceField(
        label=_("computed by"),
        required=False,
        choices=lambda: (
            [("", _("reported by the responsible unit"))]
            + [(name, name) for name in sorted(REGISTRY)]
        ),
    )

    class Meta:
        model = Indicator
        fields = INDICATOR_FIELDS


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    form = IndicatorForm
    view_cap = Cap.BOARD_VIEW
    add_cap = change_cap = Cap.CARE_LIST_EDIT  # the city's catalogue
    list_display = ("code", "name", "group", "measure", "period_type", "provenance", "is_active")
    list_filter = ("group", "measure", "provenance", "is_active")
    search_fields = ("code", "name")
    fields = INDICATOR_FIELDS

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Indicator]:
        return Indicator.objects.all()

    def save_model(self, request: HttpRequest, obj: Indicator, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=INDICATOR_FIELDS,
            cap=Cap.CARE_LIST_EDIT,
            scope_path=city_path(),
        )


@admin.register(Target)
class TargetAdmin(ScopedAdmin):
    view_cap = Cap.BOARD_VIEW
    add_cap = change_cap = Cap.BOARD_APPROVE
    list_display = ("indicator", "region", "period_id", "value", "source")
    list_filter = ("period_id",)
    search_fields = ("indicator__name", "indicator__code")
    fields = TARGET_FIELDS
    raw_id_fields = ("indicator", "region")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Target]:
        return Target.objects.filter(scope_for(request.user).region_q("region__path"))

    def save_model(self, request: HttpRequest, obj: Target, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=TARGET_FIELDS,
            cap=Cap.BOARD_APPROVE,
            scope_path=obj.region.path,
        )
