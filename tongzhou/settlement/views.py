"""Settlement pages: statements and their steps, exports, reconciliation, the anomaly review
queue, and monthly charts per district."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.core.charts import Chart, Series, month_label
from tongzhou.core.errors import DomainError
from tongzhou.core.money import yuan_in_words
from tongzhou.core.text import only_ascii_digits
from tongzhou.core.views import run_and_report
from tongzhou.meals.selectors import meals_visible_to
from tongzhou.settlement import exports, services
from tongzhou.settlement.evidence import readable
from tongzhou.settlement.models import AnomalyCase, AnomalyResolution, Funder, SettlementPeriod
from tongzhou.settlement.reconcile import TOTAL, reconcile
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
    names = {**{key: str(label) for key, label in Funder.choices}, TOTAL: gettext("canteen total")}
    for row in result.rows:
        row.funder_label = names.get(row.funder, row.funder)  # type: ignore[attr-defined]
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
        return _download(exports.chart_xlsx(figures), "各区县每月用餐和补贴.xlsx", XLSX)
    districts = list(figures["districts"])
    months = [month_label(dt.date.fromisoformat(f"{month}-01")) for month in figures["months"]]

    def series(index: int, scale: int) -> list[Series]:
        return [
            Series(d, [figures["districts"][d].get(m, (0, 0))[index] / scale
                       for m in figures["months"]])
            for d in districts
        ]  # fmt: skip

    meals_chart = Chart("bar", months, series(0, 1), units=[pgettext("chart unit", "meals")])
    subsidy_chart = Chart(
        "bar", months, series(1, 100), units=[pgettext("chart unit", "yuan")], decimals=[2]
    )
    table = [
        {
            "month": label,
            "cells": [figures["districts"][d].get(month, (0, 0)) for d in districts],
        }
        for month, label in zip(figures["months"], months, strict=True)
    ]
    return render(
        request,
        "settlement/charts.html",
        {
            "meals_chart": meals_chart,
            "subsidy_chart": subsidy_chart,
            "districts": districts,
            "table": table,
        },
    )
