from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.core.errors import DomainError
from tongzhou.elders.admin import ElderAdmin, ElderTool
from tongzhou.elders.models import Elder
from tongzhou.identity.models import Card, QrIdentity
from tongzhou.identity.render import qr_svg
from tongzhou.identity.services import (
    card_issue,
    card_report_lost,
    qr_printed_card_issue,
    qr_printed_card_revoke,
)


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


def _card_page(request: HttpRequest, elder: Elder, context: dict[str, Any]) -> HttpResponse:
    """Bind a (new) citizen card: a replacement keeps the person, purses and history."""
    context["cards"] = Card.objects.filter(elder=elder).order_by("-issued_at")
    if request.method == "POST":
        try:
            context["issued"] = card_issue(
                actor=request.user, elder=elder, number=request.POST.get("number", "")
            )
        except DomainError as error:
            context["error"] = error.message()
    return TemplateResponse(request, "admin/elders/elder/card.html", context)


def _code_card_page(request: HttpRequest, elder: Elder, context: dict[str, Any]) -> HttpResponse:
    """A printed QR code card for an elder without a phone: issue, reissue, revoke."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                qr_printed_card_revoke(actor=request.user, elder=elder)
                context["revoked"] = True
            else:
                code = qr_printed_card_issue(actor=request.user, elder=elder)
                context.update(code=code, svg=qr_svg(code, scale=6))
        except DomainError as error:
            context["error"] = error.message()
    identity = QrIdentity.objects.filter(elder=elder).first()
    context["active"] = bool(identity and identity.printed_active)
    return TemplateResponse(request, "admin/elders/elder/code_card.html", context)


ElderAdmin.add_tool(ElderTool("card", "card", _("Citizen card"), _card_page))
ElderAdmin.add_tool(ElderTool("code-card", "code_card", _("Printed QR code card"), _code_card_page))
