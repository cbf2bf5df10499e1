"""The visit tiers in the back office: the city edits who is in which tier and how often."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.audit.services import reference_save
from tongzhou.visits.models import VisitTier

TIER_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "priority",
    "min_age",
    "categories",
    "living",
    "min_assessment_level",
    "frequency",
    "remote_counts",
    "provenance",
    "is_active",
)


@admin.register(VisitTier)
class VisitTierAdmin(ScopedAdmin):
    view_cap = Cap.VISIT_RECORD
    add_cap = change_cap = Cap.POLICY_EDIT
    list_display = ("name_zh", "priority", "frequency", "min_age", "remote_counts", "is_active")
    fields = TIER_FIELDS

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[VisitTier]:
        return VisitTier.objects.all()

    def save_model(self, request: HttpRequest, obj: VisitTier, form: Any, change: bool) -> None:
        obj.provenance = "bureau"
        reference_save(
            actor=request.user, obj=obj, fields=TIER_FIELDS, cap=Cap.POLICY_EDIT, scope_path=""
        )
