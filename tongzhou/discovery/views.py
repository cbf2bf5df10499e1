"""The village worker's discovery queue and the month's counts per rule and outcome."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.core.views import form_id, month_asked, run_and_report
from tongzhou.discovery import selectors, services
from tongzhou.discovery.models import Outcome


def _require(request: HttpRequest) -> None:
    if not has_cap(request.user, Cap.DISCOVERY_REVIEW):
        raise Http404


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require(request)
    if request.method == "POST":
        case_id = form_id(request.POST.get("case"))
        run_and_report(
            request,
            lambda: services.discovery_review(
                actor=request.user,
                case_id=case_id,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", ""),
            ),
            gettext("Recorded. The case is closed."),
        )
        return redirect("discovery:queue")
    page = Paginator(selectors.queue(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "discovery/queue.html", {"page": page, "outcomes": Outcome.choices})


@login_required
def report(request: HttpRequest) -> HttpResponse:
    _require(request)
    month = month_asked(request.GET.get("month"))
    return render(
        request,
        "discovery/report.html",
        {
            "month": month,
            "rows": selectors.month_counts(request.user, month),
            "outcomes": Outcome.choices,
        },
    )
