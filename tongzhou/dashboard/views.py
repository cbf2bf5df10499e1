from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tongzhou.bookings.services import first_open_day
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.dashboard import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its day's work (see `selectors`)."""
    today = clock.today()
    kind = selectors.home_kind(request.user)
    context: dict[str, object] = {"today": today, "kind": kind}
    if kind == "round":
        return redirect("bookings:delivery")
    if kind in ("counter", "canteen"):
        context["canteen_day"] = selectors.canteen_day(actor=request.user, day=today)
    elif kind == "village":
        # The default cut-off: the first day a call today can still book.
        next_day = first_open_day(Canteen())
        context["village"] = selectors.village_day(actor=request.user, day=today, next_day=next_day)
    else:
        context["cockpit"] = selectors.cockpit(actor=request.user, day=today)
    return render(request, f"dashboard/home_{kind}.html", context)
