"""The discovery rules in the back office: thresholds tuned from the outcomes recorded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.audit.services import reference_save
from tongzhou.discovery.models import DiscoveryRule
from tongzhou.discovery.services import rule_check

RULE_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "signal",
    "params",
    "severity",
    "description",
    "provenance",
    "is_active",
)


@admin.register(DiscoveryRule)
class DiscoveryRuleAdmin(ScopedAdmin):
    view_cap = Cap.DISCOVERY_REVIEW
    add_cap = change_cap = Cap.POLICY_EDIT
    list_display = ("name_zh", "signal", "severity", "is_active")
    fields = RULE_FIELDS

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[DiscoveryRule]:
        return DiscoveryRule.objects.all()

    def save_model(self, request: HttpRequest, obj: DiscoveryRule, form: Any, change: bool) -> None:
        obj.provenance = "bureau"
        rule_check(obj)
        reference_save(
            actor=request.user, obj=obj, fields=RULE_FIELDS, cap=Cap.POLICY_EDIT, scope_path=""
        )
