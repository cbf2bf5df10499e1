"""Settlement pages: statements and their steps, exports, reconciliation, the anomaly review
queue, and monthly charts per district."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext, gettext_lazy

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.money import yuan_in_words
from tongzhou.core.text import only_ascii_digits
from tongzhou.core.views import run_and_report
from tongzhou.meals.selectors import meals_visible_to
from tongzhou.settlement import exports, services
from tongzhou.settlement.evidence import readable
from tongzhou.settlement.models import AnomalyCase, AnomalyResolution, SettlementPeriod
from tongzhou.settlement.reconcile import reconcile
from tongzhou.settlement.selectors import (
    open_reviews,
    periods_with_statements,
    statement_figures,
    statement_get,
    statements_visible_to,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DONE = {
    "submit": gettext_lazy("Submitted: the town or district reviews it next."),
    "review": gettext_lazy("Reviewed: the city approves it next."),
    "approve": gettext_lazy("Approved: record the payment once it is made."),
}
STEPS: dict[str, Callable[..., Any]] = {
    "submit": services.statement_submit,
    "review": services.statement_review,
    "approve": services.statement_approve,
}


def _statement(request: HttpRequest, statement_id: int) -> Any:
    try:
        return statement_get(actor=request.user, statement_id=statement_id)
    except DomainError:
        raise Http404 from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not has_cap(request.user, Cap.MEAL_VIEW):
        raise Http404
    if request.method == "POST":
        # Open last month's statement of a canteen (a draft until the canteen submits it).
        canteen = Canteen.objects.filter(
            scope_for(request.user).canteen_q(), pk=request.POST.get("canteen") or 0
        ).first()
        if canteen is not None:
            last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
            statement = services.statement_for(actor=request.user, canteen=canteen, day=last_month)
            return redirect("settlement:statement", statement_id=statement.pk)
    canteens = Canteen.objects.filter(scope_for(request.user).canteen_q()).order_by("code")
    return render(
        request,
        "settlement/index.html",
        {
            "periods": periods_with_statements(request.user),
            "waiting": open_reviews(request.user),
            "canteens": canteens,
        },
    )


@login_required
def statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    chosen = _statement(request, statement_id)
    if request.method == "POST":
        step = request.POST.get("step", "")
        user = request.user
        if step in STEPS:
            comment = request.POST.get("comment", "")
            run_and_report(
                request,
                lambda: STEPS[step](actor=user, statement_id=chosen.pk, comment=comment),
                str(DONE[step]),
            )
        elif step == "pay":
            run_and_report(
                request,
                lambda: services.statement_pay(
                    actor=user, statement_id=chosen.pk, reference=request.POST.get("reference", "")
                ),
                gettext("Payment recorded."),
            )
        elif step == "return":
            run_and_report(
                request,
                lambda: services.statement_return(
                    actor=user, statement_id=chosen.pk, reason=request.POST.get("reason", "")
                ),
                gettext("Sent back to the canteen."),
            )
        return redirect("settlement:statement", statement_id=chosen.pk)
    figures = statement_figures(chosen)
    english = get_language() == "en"
    return render(
        request,
        "settlement/statement.html",
        {
            "statement": chosen,
            "figures": figures,
            "rows": exports.statement_rows(chosen, figures, english=english),
            "categories": exports.category_rows(figures, english=english),
            "payable_in_words": yuan_in_words(figures.payable_fen),
            "comments": chosen.comments.select_related("author"),
            "may_submit": has_cap(request.user, Cap.SETTLEMENT_SUBMIT),
            "may_review": has_cap(request.user, Cap.SETTLEMENT_REVIEW),
            "may_approve": has_cap(request.user, Cap.SETTLEMENT_APPROVE),
            "session_names": exports.SESSION_NAMES,
        },
    )


def _download(content: bytes, name: str, kind: str) -> HttpResponse:
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@login_required
def statement_xlsx(request: HttpRequest, statement_id: int) -> HttpResponse:
    chosen = _statement(request, statement_id)
    content = exports.statement_xlsx(chosen, statement_figures(chosen))
    return _download(
        content, f"statement-{chosen.canteen.code}-{chosen.period.starts_on:%Y%m}.xlsx", XLSX
    )


@login_required
def statement_pdf(request: HttpRequest, statement_id: int) -> HttpResponse:
    chosen = _statement(request, statement_id)
    content = exports.statement_pdf(chosen, statement_figures(chosen))
    return _download(
        content,
        f"statement-{chosen.canteen.code}-{chosen.period.starts_on:%Y%m}.pdf",
        "application/pdf",
    )


@login_required
def reconciliation(request: HttpRequest, period_id: int) -> HttpResponse:
    period = SettlementPeriod.objects.filter(pk=period_id).first()
    if period is None or not has_cap(request.user, Cap.MEAL_VIEW):
        raise Http404
    mine = list(statements_visible_to(request.user).filter(period=period).order_by("canteen__code"))
    result = reconcile(period, mine)
    return render(request, "settlement/reconcile.html", {"result": result})


@login_required
def anomalies(request: HttpRequest) -> HttpResponse:
    if not has_cap(request.user, Cap.ANOMALY_REVIEW):
        raise Http404
    if request.method == "POST":
        case_id = request.POST.get("case", "")
        run_and_report(
            request,
            lambda: services.anomaly_resolve(
                actor=request.user,
                case_id=int(case_id) if only_ascii_digits(case_id) else 0,
                resolution=request.POST.get("resolution", ""),
                note=request.POST.get("note", ""),
            ),
            gettext("Resolution recorded."),
        )
        return redirect("settlement:anomalies")
    cases = AnomalyCase.objects.filter(
        scope_for(request.user).region_q("scope_path")
    ).select_related("elder", "canteen", "period", "resolved_by")
    still_open = list(cases.filter(resolved_at__isnull=True).order_by("-detected_at"))
    for case in still_open:
        case.readable = readable(case.evidence)  # type: ignore[attr-defined]
    return render(
        request,
        "settlement/anomalies.html",
        {
            "open": still_open,
            "resolved": cases.filter(resolved_at__isnull=False).order_by("-resolved_at")[:30],
            "resolutions": AnomalyResolution.choices,
        },
    )


@login_required
def charts(request: HttpRequest) -> HttpResponse:
    if not has_cap(request.user, Cap.MEAL_VIEW):
        raise Http404
    figures = exports.monthly_by_district(meals_visible_to(request.user), today=clock.today())
    if request.GET.get("format") == "xlsx":
        return _download(exports.chart_xlsx(figures), "meals-by-district.xlsx", XLSX)
    districts = list(figures["districts"])
    table = [
        {
            "month": month,
            "cells": [
                (
                    figures["districts"][d].get(month, (0, 0))[0],
                    figures["districts"][d].get(month, (0, 0))[1] / 100,
                )
                for d in districts
            ],
        }
        for month in figures["months"]
    ]
    return render(request, "settlement/charts.html", {"bars": _bars(figures), "table": table})


def _bars(figures: dict[str, Any]) -> dict[str, Any]:
    """Bar geometry for the two SVG charts (meals; subsidy in yuan), grouped by month."""
    districts = list(figures["districts"])
    width, height, gap = 34, 180, 14
    charts = {}
    for index, name in ((0, "meals"), (1, "subsidy")):
        peak = max([v[index] for d in districts for v in figures["districts"][d].values()] or [1])
        bars = []
        for m, month in enumerate(figures["months"]):
            for d, district in enumerate(districts):
                value = figures["districts"][district].get(month, (0, 0))[index]
                h = round(height * value / peak) if peak else 0
                x = 40 + m * (len(districts) * width // 2 + gap) + d * width // 2
                bars.append(
                    {
                        "x": x,
                        "y": 20 + height - h,
                        "h": h,
                        "d": d,
                        "value": value if index == 0 else value / 100,
                        "month": month,
                    }
                )
        charts[name] = {
            "bars": bars,
            "peak": peak if index == 0 else peak / 100,
            "width": 60 + len(figures["months"]) * (len(districts) * width // 2 + gap),
        }
    step = len(districts) * width // 2 + gap
    labels = [{"x": 40 + m * step, "month": month[2:]} for m, month in enumerate(figures["months"])]
    return {"districts": districts, "labels": labels, **charts}
