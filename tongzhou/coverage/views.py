from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tongzhou.core import clock
from tongzhou.coverage.selectors import (
    DELIVERY_DAYS,
    REACH_KM,
    coverage_report,
    may_see_coverage,
)


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    if not may_see_coverage(request.user):
        raise Http404
    report = coverage_report(actor=request.user, day=clock.today())
    return render(
        request,
        "coverage/coverage.html",
        {"report": report, "reach_km": REACH_KM, "delivery_days": DELIVERY_DAYS},
    )
