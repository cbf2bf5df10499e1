from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongzhou.accounts.admin_base import ScopedAdmin
from tongzhou.accounts.roles import Cap
from tongzhou.accounts.scope import has_cap, scope_for
from tongzhou.core.errors import DomainError
from tongzhou.identity.models import Card
from tongzhou.identity.services import card_report_lost


@admin.register(Card)
class CardAdmin(ScopedAdmin):
    view_cap = Cap.ELDER_VIEW
    list_display = ("number_masked", "elder", "status", "issued_at", "blocked_at")
    list_filter = ("status",)
    search_fields = ("elder__name",)
    list_select_related = ("elder",)
    actions = ("report_lost",)
    readonly_fields = ("number_masked", "elder", "status", "issued_at", "blocked_at")
    exclude = ("number_hash",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Card]:
        if not has_cap(request.user, Cap.ELDER_VIEW):
            return Card.objects.none()
        return Card.objects.filter(scope_for(request.user).region_q("elder__residence__path"))

    @admin.action(description=_("Report lost (blocks at once)"))
    def report_lost(self, request: HttpRequest, queryset: QuerySet[Card]) -> None:
        for card in queryset:
            try:
                card_report_lost(actor=request.user, card=card)
            except DomainError as error:
                self.report(request, error)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not has_cap(request.user, Cap.ELDER_EDIT):
            actions.pop("report_lost", None)
        return actions
