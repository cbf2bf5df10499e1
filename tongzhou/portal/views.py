"""The elder's own page (/me/), for a phone in an old hand: one task per screen (my code,
my money and meals, book or cancel, my family), large targets, the result at the top of
the screen the elder is on, and a confirmation before a meal is cancelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_POST

from tongzhou.bookings.actions import booking_action, parse_date, parse_session
from tongzhou.bookings.models import BookingMode
from tongzhou.bookings.selectors import elder_upcoming
from tongzhou.bookings.services import delivery_refusal, first_open_day
from tongzhou.canteens.selectors import week_menus
from tongzhou.care.selectors import elder_entitlements, elder_orders_coming
from tongzhou.care.services import entitlements_refresh
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.masking import mask_name
from tongzhou.core.net import client_address
from tongzhou.core.views import form_id
from tongzhou.identity.qr import STEP_SECONDS
from tongzhou.identity.render import qr_svg
from tongzhou.identity.services import qr_current_code, qr_identity_for
from tongzhou.meals.models import SESSION_CHOICES
from tongzhou.oversight.selectors import rateable_meals
from tongzhou.oversight.services import complaint_make, meal_rate
from tongzhou.portal.models import AccessGrant, GrantKind
from tongzhou.portal.selectors import elder_canteens, elder_page, nearby_canteens
from tongzhou.portal.services import code_for_family, sign_in

SESSION_KEY = "portal_grant"
# How many days ahead the booking screen offers, from the first still open for booking.
BOOKING_DAYS = 5
SESSION_LABELS = dict(SESSION_CHOICES)


def _grant(request: HttpRequest) -> AccessGrant | None:
    grant_id = request.session.get(SESSION_KEY)
    if grant_id is None:
        return None
    return (
        AccessGrant.objects.select_related("elder__residence")
        .filter(pk=grant_id, revoked_at__isnull=True)
        .first()
    )


View = Callable[..., HttpResponse]


def _signed_in(view: Callable[..., HttpResponse]) -> View:
    """The page for the signed-in grant, or the code form."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        grant = _grant(request)
        if grant is None:
            return redirect("portal:login")
        return view(request, grant, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, grant: AccessGrant, template: str, **context: Any) -> HttpResponse:
    context.update(
        grant=grant,
        masked_name=mask_name(grant.elder.name),
        family=grant.kind == GrantKind.FAMILY,
    )
    return render(request, template, context, status=context.pop("status", 200))


def _day_label(day: dt.date, today: dt.date) -> str:
    """12月9日 星期三（明天）: a date as an old person says it."""
    text = f"{formats.date_format(day, 'MONTH_DAY_FORMAT')} {formats.date_format(day, 'l')}"
    near = {0: gettext("today"), 1: gettext("tomorrow"), 2: gettext("the day after tomorrow")}
    offset = (day - today).days
    if offset not in near:
        return text
    return pgettext("a date and how near it is", "%(day)s (%(near)s)") % {
        "day": text,
        "near": near[offset],
    }


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


@_signed_in
def home(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    today = clock.today()
    upcoming = [m for m in elder_upcoming(grant.elder, today, days=7) if m.status == "booked"]
    page = elder_page(grant.elder, meals=0)
    return _page(
        request,
        grant,
        "portal/home.html",
        next_meal=upcoming[0] if upcoming else None,
        next_meal_day=_day_label(upcoming[0].day, today) if upcoming else "",
        purses=page["purses"],
    )


@_signed_in
def code(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    current = qr_current_code(qr_identity_for(grant.elder))
    return _page(
        request,
        grant,
        "portal/code.html",
        qr_svg=qr_svg(current, scale=10),
        step_seconds=STEP_SECONDS,
    )


def qr_json(request: HttpRequest) -> HttpResponse:
    grant = _grant(request)
    if grant is None:
        return JsonResponse({"error": "signed_out"}, status=401)
    current = qr_current_code(qr_identity_for(grant.elder))
    return JsonResponse({"code": current, "svg": qr_svg(current, scale=10)})


@_signed_in
def meals(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    return _page(request, grant, "portal/meals.html", **elder_page(grant.elder))


@_signed_in
def care_services(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """What the service list gives me, how much is left, why, and who comes when."""
    entitlements_refresh(elder_ids=[grant.elder.pk], day=clock.today())
    return _page(
        request,
        grant,
        "portal/services.html",
        entitlements=elder_entitlements(grant.elder),
        coming=elder_orders_coming(grant.elder),
    )


def _booked(grant: AccessGrant, today: dt.date) -> list[dict[str, Any]]:
    return [
        {"meal": meal, "day_label": _day_label(meal.day, today)}
        for meal in elder_upcoming(grant.elder, today, days=14)
        if meal.status == "booked"
    ]


@_signed_in
def book(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """Book a meal: day, meal, canteen (nearest first) and, where allowed, delivery."""
    today = clock.today()
    canteens = nearby_canteens(grant.elder)
    first_days = {row["canteen"].pk: first_open_day(row["canteen"]) for row in canteens}
    first = min(first_days.values(), default=today + dt.timedelta(days=1))
    days = [first + dt.timedelta(days=n) for n in range(BOOKING_DAYS)]
    delivery = [
        row["canteen"].pk
        for row in canteens
        if delivery_refusal(grant.elder, row["canteen"], first) is None
    ]
    booked = _booked(grant, today)
    taken = {(row["meal"].day, row["meal"].session) for row in booked}
    # The first day still open whose lunch is not booked yet: what most elders want next.
    default_day = next((d for d in days if (d, "lunch") not in taken), first)
    chosen = {
        "day": default_day.isoformat(),
        "session": "lunch",
        "canteen": str(canteens[0]["canteen"].pk) if canteens else "",
        "mode": BookingMode.EAT_IN,
    }
    result: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        chosen.update({k: request.POST.get(k, "") for k in chosen if k in request.POST})
        try:
            booking_action(
                actor=grant.as_delegate(),
                elder=grant.elder,
                form=request.POST,
                allowed=("book",),
            )
        except DomainError as refused:
            result, status = {"ok": False, "text": refused.message()}, 409
        else:
            day = parse_date(chosen["day"])
            name = next(
                (r["canteen"].name for r in canteens if str(r["canteen"].pk) == chosen["canteen"]),
                "",
            )
            how = (
                gettext("delivered home")
                if chosen["mode"] == BookingMode.DELIVERY
                else gettext("eat at the canteen")
            )
            meal = SESSION_LABELS[parse_session(chosen["session"])]
            request.session["portal_result"] = {
                "ok": True,
                "title": gettext("Booked"),
                "text": f"{_day_label(day, today)} {meal} · {name} · {how}",
            }
            return redirect("portal:book")
    result = result or request.session.pop("portal_result", None)
    return _page(
        request,
        grant,
        "portal/book.html",
        status=status,
        result=result,
        days=[
            {
                "value": d.isoformat(),
                "label": _day_label(d, today),
                "booked": [SESSION_LABELS[k] for k, _ in SESSION_CHOICES if (d, k) in taken],
            }
            for d in days
        ],
        sessions=SESSION_CHOICES,
        canteens=canteens,
        delivery_canteens=delivery,
        chosen=chosen,
    )


@_signed_in
def booked(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """The meals booked in the next two weeks, each with its own cancel button."""
    return _page(
        request,
        grant,
        "portal/booked.html",
        result=request.session.pop("portal_result", None),
        booked=_booked(grant, clock.today()),
    )


@_signed_in
def cancel(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """Cancelling asks once more, in words, before anything changes."""
    source = request.POST if request.method == "POST" else request.GET
    try:
        day = parse_date(source.get("day"))
    except DomainError:
        return redirect("portal:booked")
    session = parse_session(source.get("session"))
    today = clock.today()
    meal = next(
        (
            row
            for row in _booked(grant, today)
            if row["meal"].day == day and row["meal"].session == session
        ),
        None,
    )
    if request.method == "POST":
        try:
            booking_action(
                actor=grant.as_delegate(),
                elder=grant.elder,
                form=request.POST,
                allowed=("cancel",),
            )
        except DomainError as refused:
            request.session["portal_result"] = {"ok": False, "text": refused.message()}
        else:
            request.session["portal_result"] = {
                "ok": True,
                "title": gettext("Cancelled"),
                "text": f"{_day_label(day, today)} {SESSION_LABELS[session]}",
            }
        return redirect("portal:booked")
    if meal is None:
        return redirect("portal:booked")
    return _page(
        request, grant, "portal/cancel.html", meal=meal, session_label=SESSION_LABELS[session]
    )


@_signed_in
def family(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if name:
            issued = code_for_family(grant=grant, holder_name=name)
            # Shown once, after the redirect: a reload does not issue another code.
            request.session["portal_family_code"] = {"name": name, "code": issued.code}
        return redirect("portal:family")
    return _page(
        request, grant, "portal/family.html", issued=request.session.pop("portal_family_code", None)
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("portal:login")


RATING_WORDS = {5: "满意", 3: "一般", 1: "不满意"}


@_signed_in
def rate(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """The last week's meals not yet rated, each with three big answers, and a word to the
    canteen where something was wrong; the answer shows at the top."""
    elder = grant.elder
    if request.method == "POST":
        try:
            if request.POST.get("complaint", "").strip():
                complaint_make(
                    canteen_id=form_id(request.POST.get("canteen")),
                    text=request.POST["complaint"],
                    channel="elder_page",
                    elder_id=elder.pk,
                )
                title = gettext("Sent to the canteen; it answers within 3 days")
            else:
                rating = meal_rate(
                    meal_id=form_id(request.POST.get("meal")),
                    stars=form_id(request.POST.get("stars")),
                    channel="elder_page",
                    elder_id=elder.pk,
                )
                title = gettext("Thank you: %(answer)s") % {
                    "answer": RATING_WORDS.get(rating.stars, rating.stars)
                }
        except DomainError as refused:
            request.session["portal_result"] = {"ok": False, "text": refused.message()}
        else:
            request.session["portal_result"] = {"ok": True, "title": title, "text": ""}
        return redirect("portal:rate")
    meals = list(rateable_meals(elder.pk)[:10])
    today = clock.today()
    canteens = {meal.canteen_id: meal.canteen for meal in meals}
    return _page(
        request,
        grant,
        "portal/rate.html",
        result=request.session.pop("portal_result", None),
        meals=[
            (meal, f"{_day_label(meal.business_date, today)} {SESSION_LABELS[meal.session]}")
            for meal in meals
        ],
        answers=list(RATING_WORDS.items()),
        canteens=list(canteens.values())
        or [row["canteen"] for row in nearby_canteens(elder, limit=3)],
    )


@_signed_in
def menu(request: HttpRequest, grant: AccessGrant) -> HttpResponse:
    """The coming week's menus of the canteens the elder eats at (or the nearest), with each
    dish's notes on salt, sugar and softness."""
    elder, today = grant.elder, clock.today()
    canteens = elder_canteens(elder) or [row["canteen"] for row in nearby_canteens(elder, 2)]
    menus = week_menus([c.pk for c in canteens], today)
    return _page(
        request,
        grant,
        "portal/menu.html",
        canteens=[
            (
                canteen,
                [
                    (f"{_day_label(m.day, today)} {SESSION_LABELS[m.session]}", m.dishes)
                    for m in menus[canteen.pk]
                ],
            )
            for canteen in canteens
        ],
    )
