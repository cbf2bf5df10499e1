import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.bookings.services import first_open_day
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.dashboard import exports, selectors
from tongzhou.elders.models import ElderStatus
from tongzhou.geo.selectors import villages_visible_to
from tongzhou.network.selectors import profile_for as network_profile


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its day's work (see `selectors`)."""
    today = clock.today()
    kind = selectors.home_kind(request.user)
    context: dict[str, object] = {"today": today, "kind": kind}
    if kind == "round":
        return redirect("bookings:delivery")
    if kind == "serve":
        return redirect("care:serve")
    if kind in ("counter", "canteen"):
        context["canteen_day"] = selectors.canteen_day(actor=request.user, day=today)
    elif kind == "village":
        # The default cut-off: the first day a call today can still book.
        next_day = first_open_day(Canteen())
        context["village"] = selectors.village_day(actor=request.user, day=today, next_day=next_day)
    else:
        context["cockpit"] = selectors.cockpit(actor=request.user, day=today)
        if has_cap(request.user, Cap.CARE_VIEW):  # the service network's map, on its home
            context["network_profile"] = network_profile()
    return render(request, f"dashboard/home_{kind}.html", context)


@login_required
def exports_page(request: HttpRequest) -> HttpResponse:
    """The lists to take away, each with its filters; the files come as they are made."""
    offered = selectors.exports_offered(request.user)
    if not any(offered.values()):
        raise Http404
    today = clock.today()
    months = [(today.replace(day=1) - dt.timedelta(days=31 * n)).replace(day=1) for n in range(12)]
    return render(
        request,
        "dashboard/exports.html",
        {
            "offered": offered,
            "months": months,
            "statuses": ElderStatus.choices,
            "villages": villages_visible_to(request.user) if offered["elders"] else [],
        },
    )


@login_required
def export_file(request: HttpRequest, name: str) -> HttpResponse | FileResponse:
    offered = selectors.exports_offered(request.user)
    if not offered.get(name):
        raise Http404
    if name == "elders":
        return exports.elders_xlsx(
            actor=request.user,
            status=request.GET.get("status"),
            village=request.GET.get("village"),
        )
    if name == "meals":
        try:
            month = dt.date.fromisoformat(f"{request.GET.get('month', '')}-01")
        except ValueError:
            month = clock.today().replace(day=1)
        return exports.meals_xlsx(actor=request.user, month=month)
    return exports.alerts_xlsx(actor=request.user, state=request.GET.get("state", "all"))
