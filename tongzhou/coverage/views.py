from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tongzhou.accounts.roles import Cap
from tongzhou.accounts.scope import has_cap, scope_for
from tongzhou.core import clock
from tongzhou.coverage.selectors import DELIVERY_DAYS, REACH_KM, coverage_report


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    if not has_cap(request.user, Cap.CANTEEN_VIEW) or scope_for(request.user).canteen_id:
        raise Http404
    report = coverage_report(actor=request.user, day=clock.today())
    return render(
        request,
        "coverage/coverage.html",
        {"report": report, "reach_km": REACH_KM, "delivery_days": DELIVERY_DAYS},
    )
