"""Pages for booking (community workers, canteens), the kitchen sheet and labels, the
courier's route on a phone, and the wellness alerts a community worker closes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import has_cap
from tongzhou.accounts.models import User
from tongzhou.bookings import services
from tongzhou.bookings.actions import booking_action, parse_session
from tongzhou.bookings.models import (
    WEEKDAY_DIGITS,
    WEEKDAY_LABELS,
    AlertOutcome,
    BookingMode,
    BookingPlan,
    BookingStatus,
    Diet,
)
from tongzhou.bookings.selectors import (
    alerts_for,
    bookable_canteens,
    elder_upcoming,
    kitchen_sheet,
    require_canteen_in_scope,
    run_stops,
    runs_for,
    stop_links,
)
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.core.masking import mask_name
from tongzhou.core.views import day_asked, form_id, run_and_report
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.elders.selectors import elder_get, elders_visible_to
from tongzhou.meals.models import SESSION_CHOICES


@login_required
def elders(request: HttpRequest) -> HttpResponse:
    """The elders a community worker books for, searchable by name."""
    if not has_cap(request.user, Cap.BOOKING_EDIT):
        raise Http404
    found = elders_visible_to(request.user).filter(status=ElderStatus.ACTIVE)
    query = request.GET.get("q", "").strip()
    if query:
        found = found.filter(name__contains=query)
    page = Paginator(found.select_related("residence").order_by("residence__code", "name"), 30)
    return render(
        request,
        "bookings/elders.html",
        {"page": page.get_page(request.GET.get("page")), "q": query},
    )


@login_required
def elder_bookings(request: HttpRequest, elder_id: int) -> HttpResponse:
    if not has_cap(request.user, Cap.BOOKING_EDIT):
        raise Http404
    try:
        elder = elder_get(actor=request.user, elder_id=elder_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "profile":
                _save_profile(request, elder)
                done = gettext("Saved.")
            else:
                done = booking_action(actor=request.user, elder=elder, form=request.POST)
        except DomainError as refused:
            messages.error(request, refused.message())
        else:
            messages.success(request, done)
        return redirect("bookings:elder", elder_id=elder.pk)
    today = clock.today()
    canteens = list(bookable_canteens(elder))
    plans = (
        BookingPlan.objects.filter(elder=elder).select_related("canteen").prefetch_related("pauses")
    )
    return render(
        request,
        "bookings/elder.html",
        {
            "elder": elder,
            "masked_name": mask_name(elder.name),
            "upcoming": elder_upcoming(elder, today),
            "plans": plans,
            "canteens": canteens,
            "sessions": SESSION_CHOICES,
            "modes": BookingMode.choices,
            # The first day still open under the usual cut-off, so the default books.
            "first_day": services.first_open_day(canteens[0] if canteens else Canteen()),
            "profile": getattr(elder, "meal_profile", None),
            "diets": Diet.choices,
            "weekdays": list(zip(WEEKDAY_DIGITS, WEEKDAY_LABELS, strict=True)),
        },
    )


def _save_profile(request: HttpRequest, elder: Elder) -> None:
    point = None
    lon, lat = request.POST.get("home_lon", ""), request.POST.get("home_lat", "")
    if lon and lat:
        try:
            point = (float(lon), float(lat))
        except ValueError:
            raise ValidationFailed(
                "home_point_invalid", "住址坐标不正确。", "The home point is not valid."
            ) from None
    services.profile_save(
        actor=request.user,
        elder=elder,
        diets=request.POST.getlist("diets"),
        allergies=request.POST.get("allergies", ""),
        home=point,
        door_note=request.POST.get("door_note", ""),
        contact_name=request.POST.get("contact_name", ""),
        contact_phone=""
        if request.POST.get("contact_phone_remove")
        else (request.POST.get("contact_phone", "").strip() or None),
    )


@login_required
def kitchen(request: HttpRequest, canteen_id: int) -> HttpResponse:
    """The kitchen's sheet for one session: counts by diet and mode, the list, and labels
    (one per meal, printed on A4 label sheets)."""
    day = day_asked(request.GET.get("date"))
    session = parse_session(request.GET.get("session"))
    try:
        sheet = kitchen_sheet(actor=request.user, canteen_id=canteen_id, day=day, session=session)
    except DomainError:
        raise Http404 from None
    template = "bookings/labels.html" if request.GET.get("labels") else "bookings/kitchen.html"
    return render(
        request, template, {"sheet": sheet, "sessions": SESSION_CHOICES, "diets": Diet.choices}
    )


@login_required
def delivery(request: HttpRequest) -> HttpResponse:
    """A courier's round for the day on a phone; a canteen manager also plans the routes."""
    if not has_cap(request.user, Cap.DELIVERY_RECORD):
        raise Http404
    day = day_asked(request.GET.get("date"))
    session = parse_session(request.GET.get("session"))
    now = clock.now()
    runs = []
    for run in runs_for(request.user, day).filter(session=session):
        stops = run_stops(run)
        for stop in stops:
            stop.links = stop_links(stop)  # type: ignore[attr-defined]
            stop.undoable = (  # type: ignore[attr-defined]
                stop.status == BookingStatus.NOT_DELIVERED
                and stop.delivered_by_id == request.user.pk
                and stop.delivered_at is not None
                and now - stop.delivered_at <= services.NO_ANSWER_UNDO
            )
        runs.append((run, stops))
    couriers = None
    canteen_id = getattr(request.user, "canteen_id", None)
    if has_cap(request.user, Cap.DELIVERY_PLAN) and canteen_id:
        couriers = User.objects.filter(
            canteen_id=canteen_id,
            is_active=True,
            role__in=[Role.DELIVERY_VOLUNTEER, Role.CANTEEN_MANAGER],
        ).order_by("username")
    return render(
        request,
        "bookings/delivery.html",
        {
            "runs": runs,
            "day": day,
            "session": session,
            "sessions": SESSION_CHOICES,
            "couriers": couriers,
        },
    )


@login_required
@require_POST
def delivery_plan(request: HttpRequest) -> HttpResponse:
    day = day_asked(request.POST.get("date"))
    session = parse_session(request.POST.get("session"))
    try:
        canteen = require_canteen_in_scope(
            request.user,
            getattr(request.user, "canteen_id", None) or 0,
            Cap.DELIVERY_PLAN,
            "安排送餐",
            "plan deliveries",
        )
    except DomainError:
        raise Http404 from None
    couriers = list(User.objects.filter(pk__in=request.POST.getlist("couriers")))
    run_and_report(
        request,
        lambda: services.delivery_plan(
            actor=request.user, canteen=canteen, day=day, session=session, couriers=couriers
        ),
        gettext("Routes computed."),
    )
    return redirect(f"/delivery/?date={day}&session={session}")


@login_required
@require_POST
def delivery_stop(request: HttpRequest, booking_id: int) -> HttpResponse:
    if request.POST.get("outcome") == "undo":
        run_and_report(
            request,
            lambda: services.delivery_no_answer_undo(actor=request.user, booking_id=booking_id),
            gettext("Taken back: the stop is open again and the community worker is told."),
        )
    elif request.POST.get("outcome") == "no_answer":
        run_and_report(
            request,
            lambda: services.delivery_no_answer(
                actor=request.user, booking_id=booking_id, note=request.POST.get("note", "")
            ),
            gettext("Recorded; the community worker has been alerted."),
        )
    else:
        upload = request.FILES.get("photo")
        photo = upload.read() if upload else None
        run_and_report(
            request,
            lambda: services.delivery_done(actor=request.user, booking_id=booking_id, photo=photo),
            gettext("Delivered."),
        )
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    # Back to the same stop on the page, not the top of a long round.
    return redirect(f"{back if back and safe else reverse('bookings:delivery')}#stop-{booking_id}")


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    if not has_cap(request.user, Cap.ALERT_CLOSE):
        raise Http404
    if request.method == "POST":
        run_and_report(
            request,
            lambda: services.alert_close(
                actor=request.user,
                alert_id=form_id(request.POST.get("alert")),
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            ),
            gettext("Closed."),
        )
        return redirect("bookings:alerts")
    open_alerts = alerts_for(request.user)
    closed = alerts_for(request.user, open_only=False).filter(closed_at__isnull=False)
    return render(
        request,
        "bookings/alerts.html",
        {
            "open": open_alerts,
            "closed": closed.order_by("-closed_at")[:20],
            "outcomes": AlertOutcome.choices,
        },
    )
