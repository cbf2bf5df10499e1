"""The board's pages: an area's indicators with their lights, one indicator (its league of
districts, trend, units and the reporting form), and the values waiting for approval."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.board import periods, selectors, services
from tongzhou.board.models import Indicator
from tongzhou.core import clock
from tongzhou.core.charts import Chart, Series
from tongzhou.core.errors import DomainError
from tongzhou.core.views import form_id, run_and_report
from tongzhou.geo.models import Region

LIGHT_WORDS = {"green": "正常", "yellow": "预警", "red": "滞后", "grey": "无数据"}


def _viewer(request: HttpRequest) -> None:
    if not has_cap(request.user, Cap.BOARD_VIEW):
        raise Http404


def _period(request: HttpRequest) -> str | None:
    asked = (request.GET.get("period") or "").strip()
    try:
        periods.bounds(asked)
    except ValueError:
        return None
    return asked


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    area = selectors.area_for(request.user, request.GET.get("unit"))
    day = clock.today()
    rows = selectors.board(request.user, area, day, _period(request))
    groups: dict[str, list[selectors.Row]] = defaultdict(list)
    for row in rows:
        groups[row.indicator.group].append(row)
    counts = [
        (colour, word, sum(1 for r in rows if r.light.colour == colour))
        for colour, word in LIGHT_WORDS.items()
    ]
    return render(
        request,
        "board/board.html",
        {
            "area": area,
            "groups": dict(groups),
            "counts": counts,
            "light_words": LIGHT_WORDS,
            "children": Region.objects.filter(parent=area).order_by("code"),
            "period": _period(request) or "",
            "waiting": selectors.waiting_for(request.user).count(),
        },
    )


@login_required
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    _viewer(request)
    try:
        found = selectors.indicator_get(request.user, code)
    except DomainError:
        raise Http404 from None
    area = selectors.area_for(request.user, request.GET.get("unit"))
    day = clock.today()
    period_id = _period(request) or periods.period_of(found.period_type, day)
    if request.method == "POST":
        _report(request, found, area, period_id)
        return redirect(f"{request.path}?unit={area.code}&period={period_id}")
    row = selectors.row_for(found, area, period_id, day)
    trend = selectors.trend(found, area, period_id)
    chart = Chart(
        kind="line",
        categories=[r.period_id for r in trend],
        series=[
            Series(gettext("Value"), [r.shown for r in trend]),
            Series(gettext("Target"), [r.target.value if r.target else None for r in trend]),
        ],
        units=[found.unit_label],
        decimals=[2],
    )
    units = [
        selectors.row_for(found, child, period_id, day)
        for child in Region.objects.filter(parent=area).order_by("code")
    ]
    return render(
        request,
        "board/indicator.html",
        {
            "indicator": found,
            "area": area,
            "row": row,
            "period_id": period_id,
            "league": selectors.league(request.user, found, period_id, day),
            "chart": chart.as_json(),
            "units": zip(Region.objects.filter(parent=area).order_by("code"), units, strict=True),
            "light_words": LIGHT_WORDS,
            "may_report": _may_report(request, found, area),
            "mine": selectors.reported_by(request.user, area)
            .filter(indicator=found, period_id=period_id)
            .first(),
        },
    )


def _may_report(request: HttpRequest, found: Indicator, area: Region) -> bool:
    return not found.is_computed and services.may_report(request.user)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _report(request: HttpRequest, found: Indicator, area: Region, period_id: str) -> None:
    user = request.user
    run_and_report(
        request,
        lambda: services.value_report(
            actor=user,
            indicator_code=found.code,
            region=area,
            period_id=period_id,
            numerator=_number(request.POST.get("numerator")),
            denominator=_number(request.POST.get("denominator")),
            note=request.POST.get("note", ""),
            files=request.FILES.getlist("evidence"),
        ),
        gettext("Reported and submitted for approval."),
    )


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    if request.method == "POST":
        user, value_id = request.user, form_id(request.POST.get("value"))
        if request.POST.get("step") == "approve":
            run_and_report(
                request,
                lambda: services.value_approve(actor=user, value_id=value_id),
                gettext("Approved."),
            )
        else:
            run_and_report(
                request,
                lambda: services.value_return(
                    actor=user, value_id=value_id, reason=request.POST.get("reason", "")
                ),
                gettext("Sent back with the reason."),
            )
        return redirect("board:approvals")
    return render(
        request,
        "board/approvals.html",
        {"waiting": selectors.waiting_for(request.user).order_by("indicator__code")},
    )


@login_required
def evidence(request: HttpRequest, evidence_id: int) -> FileResponse:
    """An evidence file, for those who see the value it supports."""
    _viewer(request)
    found = selectors.evidence_get(request.user, evidence_id)
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
