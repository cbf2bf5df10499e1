"""The elder's page in the back office: the tool on an elder's form that gives the elder or
a family member a one-time code for /me, and revokes access."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from tongzhou.core.errors import DomainError
from tongzhou.elders.admin import ElderAdmin, ElderTool
from tongzhou.elders.models import Elder
from tongzhou.portal.models import AccessGrant
from tongzhou.portal.services import grant_and_code, grant_revoke


def _page_access(request: HttpRequest, elder: Elder, context: dict[str, Any]) -> HttpResponse:
    """Give the elder or a family member a one-time code for the elder's page (/me)."""
    context["link"] = request.build_absolute_uri("/me/login/")
    if request.method == "POST" and request.POST.get("revoke"):
        grant = AccessGrant.objects.filter(elder=elder, pk=request.POST["revoke"]).first()
        if grant is not None:
            grant_revoke(actor=request.user, grant=grant)
    elif request.method == "POST":
        try:
            context["issued"] = grant_and_code(
                actor=request.user,
                elder=elder,
                kind=request.POST.get("kind", ""),
                holder_name=request.POST.get("holder_name", ""),
            )
        except DomainError as error:
            context["error"] = error.message()
    context["grants"] = AccessGrant.objects.filter(elder=elder, revoked_at__isnull=True)
    return TemplateResponse(request, "admin/elders/elder/page_access.html", context)


ElderAdmin.add_tool(ElderTool("page-access", "page_access", _("Elder's page access"), _page_access))
