from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tongzhou.bookings.actions import booking_action
from tongzhou.bookings.selectors import elder_upcoming
from tongzhou.bookings.services import delivery_refusal
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.masking import mask_name
from tongzhou.core.net import client_address
from tongzhou.identity.qr import STEP_SECONDS
from tongzhou.identity.render import qr_svg
from tongzhou.identity.services import qr_current_code, qr_identity_for
from tongzhou.meals.models import SESSION_CHOICES
from tongzhou.portal.models import AccessGrant
from tongzhou.portal.selectors import elder_page
from tongzhou.portal.services import code_for_family, sign_in

SESSION_KEY = "portal_grant"


def _grant(request: HttpRequest) -> AccessGrant | None:
    grant_id = request.session.get(SESSION_KEY)
    if grant_id is None:
        return None
    return (
        AccessGrant.objects.select_related("elder__residence")
        .filter(pk=grant_id, revoked_at__isnull=True)
        .first()
    )


def login(request: HttpRequest) -> HttpResponse:
    # A link only fills the code in: signing in takes a tap (a POST), so a chat app that
    # previews the link cannot use up the one-time code.
    code = request.POST.get("code") if request.method == "POST" else None
    error = None
    if code:
        try:
            grant = sign_in(code=code, client=client_address(request))
        except DomainError as refused:
            error = refused.message()
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = grant.pk
            return redirect("portal:home")
    prefill = request.GET.get("code", "")[:8] if request.method == "GET" else ""
    return render(
        request,
        "portal/login.html",
        {"error": error, "prefill": prefill},
        status=403 if error else 200,
    )


def home(request: HttpRequest) -> HttpResponse:
    grant = _grant(request)
    if grant is None:
        return redirect("portal:login")
    context = elder_page(grant.elder)
    code = qr_current_code(qr_identity_for(grant.elder))
    context.update(
        grant=grant,
        masked_name=mask_name(grant.elder.name),
        qr_code=code,
        qr_svg=qr_svg(code, scale=10),
        step_seconds=STEP_SECONDS,
        family_code=request.session.pop("portal_family_code", None),
        upcoming=elder_upcoming(grant.elder, clock.today()),
        # Offer home delivery only to elders the policy lets have it, from a canteen that can.
        delivery_offered=any(
            delivery_refusal(grant.elder, row["canteen"], clock.today()) is None
            for row in context["nearby"]
        ),
        sessions=SESSION_CHOICES,
        tomorrow=clock.today() + dt.timedelta(days=1),
    )
    return render(request, "portal/home.html", context)


def qr_json(request: HttpRequest) -> HttpResponse:
    grant = _grant(request)
    if grant is None:
        return JsonResponse({"error": "signed_out"}, status=401)
    code = qr_current_code(qr_identity_for(grant.elder))
    return JsonResponse({"code": code, "svg": qr_svg(code, scale=10)})


@require_POST
def link_family(request: HttpRequest) -> HttpResponse:
    grant = _grant(request)
    if grant is None:
        return redirect("portal:login")
    name = request.POST.get("name", "").strip()
    if name:
        issued = code_for_family(grant=grant, holder_name=name)
        request.session["portal_family_code"] = {"name": name, "code": issued.code}
    return redirect("portal:home")


@require_POST
def book(request: HttpRequest) -> HttpResponse:
    """The elder or a linked family member books or cancels a meal."""
    grant = _grant(request)
    if grant is None:
        return redirect("portal:login")
    try:
        done = booking_action(
            actor=grant.as_delegate(),
            elder=grant.elder,
            form=request.POST,
            allowed=("book", "cancel"),
        )
    except DomainError as refused:
        messages.error(request, refused.message())
    else:
        messages.success(request, done)
    return redirect("portal:home")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("portal:login")
