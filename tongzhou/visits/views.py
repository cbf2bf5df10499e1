"""Pages of the caring visits: the worker's due list, the visit form on a phone, the
visit rate per area."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.views import form_id, month_asked, run_and_report
from tongzhou.elders.selectors import elder_get
from tongzhou.visits import selectors, services
from tongzhou.visits.models import SECTIONS, VisitMethod

SECTION_HINTS = {
    "health": "表情、行动、反应、疾病、精神状态",
    "economy": "衣食住行医是否困难，享受的待遇",
    "family": "子女赡养、亲属探望",
    "safety": "房屋、水、电、燃气、取暖",
    "needs": "生活照料、康复护理、精神慰藉、适老化改造",
}


def _require(request: HttpRequest) -> None:
    if not has_cap(request.user, Cap.VISIT_RECORD):
        raise Http404


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """The worker's list: overdue first, then what is open today; follow-ups to clear."""
    _require(request)
    if request.method == "POST":
        try:
            elder = elder_get(actor=request.user, elder_id=form_id(request.POST.get("elder")))
        except DomainError:
            raise Http404 from None
        run_and_report(
            request,
            lambda: services.visit_urgent(
                actor=request.user, elder=elder, why=request.POST.get("why", "")
            ),
            gettext("An urgent visit is due within 24 hours."),
        )
        return redirect("visits:due")
    today = clock.today()
    page = Paginator(selectors.due_list(request.user, today), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/due.html",
        {
            "day": today,
            "page": page,
            "follow_ups": selectors.open_follow_ups(request.user)[:50],
        },
    )


@login_required
def record(request: HttpRequest, visit_id: int) -> HttpResponse:
    _require(request)
    try:
        visit = selectors.visit_get(request.user, visit_id)
    except DomainError:
        raise Http404 from None
    follow_ups = list(selectors.open_follow_ups(request.user, elder_id=visit.elder_id))
    if request.method == "POST":
        post = request.POST
        sections = {
            name: {"ok": post.get(f"{name}_ok") != "0", "note": post.get(f"{name}_note", "")}
            for name in SECTIONS
        }
        findings = [
            services.Finding(name, post.get(f"{name}_finding", ""))
            for name in SECTIONS
            if post.get(f"{name}_follow") == "1"
        ]
        resolved = {
            f.pk: post.get(f"resolve_{f.pk}_outcome", "")
            for f in follow_ups
            if post.get(f"resolve_{f.pk}") == "1"
        }
        try:
            services.visit_record(
                actor=request.user,
                visit_id=visit.pk,
                method=post.get("method", ""),
                sections=sections,
                findings=findings,
                resolved=resolved,
            )
        except DomainError as refused:
            messages.error(request, refused.message())
        else:
            messages.success(request, gettext("Visit recorded."))
            return redirect("visits:due")
    return render(
        request,
        "visits/record.html",
        {
            "visit": visit,
            "methods": VisitMethod.choices,
            "sections": [
                (name, services.SECTION_NAMES[name], SECTION_HINTS[name]) for name in SECTIONS
            ],
            "follow_ups": follow_ups,
            "recent": selectors.recent_records(visit.elder_id),
        },
    )


@login_required
def rates(request: HttpRequest) -> HttpResponse:
    _require(request)
    month = month_asked(request.GET.get("month"))
    top, areas, whole = selectors.visit_rates(request.user, month)
    return render(
        request,
        "visits/rates.html",
        {"month": month, "top": top, "areas": areas, "whole": whole},
    )
