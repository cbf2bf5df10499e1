"""Providers and their carers in the back office, each save validated and audited through
the reference writer; the list itself is loaded as a workbook on /care/list/."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import scope_for
from tongzhou.audit.services import reference_save
from tongzhou.care.models import Carer, Provider

PROVIDER_FIELDS = ("name", "kind", "region", "phone", "kinds_served", "is_active")
CARER_FIELDS = (
    "provider",
    "user",
    "name",
    "certificate_level",
    "certificate_number",
    "certificate_issued",
    "certificate_expires",
    "in_post_since",
    "is_active",
)


@admin.register(Provider)
class ProviderAdmin(ScopedAdmin):
    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    list_display = ("name", "kind", "region", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    fields = PROVIDER_FIELDS

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Provider]:
        return Provider.objects.filter(scope_for(request.user).region_q("region__path"))

    def save_model(self, request: HttpRequest, obj: Provider, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=PROVIDER_FIELDS,
            cap=Cap.CARE_REVIEW,
            scope_path=obj.region.path,
        )


@admin.register(Carer)
class CarerAdmin(ScopedAdmin):
    view_cap = Cap.CARE_VIEW
    add_cap = change_cap = Cap.CARE_REVIEW
    list_display = ("name", "provider", "certificate_level", "certificate_expires", "is_active")
    list_filter = ("certificate_level", "is_active")
    search_fields = ("name", "certificate_number")
    fields = CARER_FIELDS
    raw_id_fields = ("user",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Carer]:
        return Carer.objects.filter(
            scope_for(request.user).region_q("provider__region__path")
        ).select_related("provider")

    def save_model(self, request: HttpRequest, obj: Carer, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=CARER_FIELDS,
            cap=Cap.CARE_REVIEW,
            scope_path=obj.provider.region.path,
        )
