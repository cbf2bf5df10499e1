"""The board's pages: an area's indicators with their lights, one indicator (its league of
districts, trend, units and the reporting form), and the values waiting for approval."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.board import selectors, services
from tongzhou.board.models import OPEN_ITEM_STATUSES, Indicator, SupervisionItem
from tongzhou.board.summary import as_docx, as_pdf, draft
from tongzhou.board.supervision import (
    colour,
    extension_ask,
    extension_decide,
    item_accept,
    item_progress,
    item_raise,
    item_report,
    item_review,
    items_visible_to,
    units_review,
)
from tongzhou.core import clock, periods
from tongzhou.core.charts import Chart, Series
from tongzhou.core.downloads import Column, xlsx_download
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.core.views import form_id, run_and_report
from tongzhou.geo.models import Region
from tongzhou.geo.selectors import city_code

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
def board(request: HttpRequest) -> HttpResponseBase:
    _viewer(request)
    area = selectors.area_for(request.user, request.GET.get("unit"))
    day = clock.today()
    rows = selectors.board(request.user, area, day, _period(request))
    if request.GET.get("format") == "xlsx":
        return _board_xlsx(area, rows)
    ranks = selectors.board_ranks(area, rows)
    groups: dict[str, list[tuple[selectors.Row, str]]] = defaultdict(list)
    for row in rows:
        groups[row.indicator.group].append((row, ranks.get(row.indicator.pk, "—")))
    counts = [
        (colour, word, sum(1 for r in rows if r.light.colour == colour))
        for colour, word in LIGHT_WORDS.items()
    ]
    overdue = items_visible_to(request.user).filter(status__in=OPEN_ITEM_STATUSES, deadline__lt=day)
    children = list(Region.objects.filter(parent=area).order_by("code"))
    overdue_paths = list(overdue.values_list("unit__path", flat=True))
    return render(
        request,
        "board/board.html",
        {
            "area": area,
            "groups": dict(groups),
            "counts": counts,
            "light_words": LIGHT_WORDS,
            "children": [
                (child, sum(1 for path in overdue_paths if path.startswith(child.path)))
                for child in children
            ],
            "overdue": len(overdue_paths),
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
        categories=[periods.label(r.period_id) for r in trend],
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
            "may_report": not found.is_computed and services.may_report(request.user, area),
            "items": items_visible_to(request.user)
            .filter(indicator=found)
            .order_by("-raised_at")[:20],
            "may_raise": has_cap(request.user, Cap.BOARD_APPROVE),
            "mine": selectors.reported_by(area)
            .filter(indicator=found, period_id=period_id)
            .first(),
        },
    )


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


# --- 督办 ------------------------------------------------------------------------------------

COLOUR_WORDS = {"blue": "临近期限", "yellow": "进度滞后", "red": "已逾期", "": ""}


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    day = clock.today()
    items = items_visible_to(request.user)
    if request.GET.get("show") != "all":
        items = items.filter(status__in=OPEN_ITEM_STATUSES)
    rows = [(item, colour(item, day)) for item in items.order_by("deadline", "pk")[:200]]
    year_start = day.replace(month=1, day=1)
    return render(
        request,
        "board/supervision.html",
        {
            "rows": rows,
            "reviews": units_review(request.user, year_start, day, day),
            "year": day.year,
            "colour_words": COLOUR_WORDS,
            "show_all": request.GET.get("show") == "all",
            "may_raise": has_cap(request.user, Cap.BOARD_APPROVE),
        },
    )


@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    """Raise an item: from a red indicator, a discovery case, a visit's follow-up or an
    anomaly case (each prefilled), or a leader's instruction."""
    _viewer(request)
    if not has_cap(request.user, Cap.BOARD_APPROVE):
        raise Http404
    found = Indicator.objects.filter(code=request.GET.get("indicator", "")).first()
    source = request.GET.get("source", "")
    brief = selectors.source_brief(request.user, source, form_id(request.GET.get("ref")))
    asked_unit = request.GET.get("unit") or request.POST.get("unit")
    if brief is not None and not asked_unit:
        asked_unit = brief.unit.code
    unit = selectors.area_for(request.user, asked_unit)
    if request.method == "POST":
        user, post = request.user, request.POST
        try:
            item = item_raise(
                actor=user,
                title=post.get("title", ""),
                source="indicator" if found else (source if brief else "instruction"),
                basis=post.get("basis", ""),
                unit=unit,
                deadline=dt.date.fromisoformat(post.get("deadline") or "2000-01-01"),
                person=post.get("person", ""),
                indicator=found,
                period_id=post.get("period", "")[:8],
                source_ref=brief.ref if brief else "",
            )
        except (DomainError, ValueError) as refused:
            messages.error(
                request,
                refused.message()
                if isinstance(refused, DomainError)
                else gettext("Give the deadline as a date."),
            )
        else:
            messages.success(request, gettext("Raised and assigned."))
            return redirect("board:item", item_id=item.pk)
    period_id = request.GET.get("period", "")
    row = selectors.row_for(found, unit, period_id, clock.today()) if found and period_id else None
    return render(
        request,
        "board/item_new.html",
        {
            "indicator": found,
            "brief": brief,
            "unit": unit,
            "row": row,
            "period_id": period_id,
            "units": Region.objects.filter(parent=unit).order_by("code"),
            "deadline": clock.today() + dt.timedelta(days=30),
        },
    )


@login_required
def item(request: HttpRequest, item_id: int) -> HttpResponse:
    _viewer(request)
    found = items_visible_to(request.user).filter(pk=item_id).first()
    if found is None:
        raise Http404
    if request.method == "POST":
        _item_step(request, found)
        return redirect("board:item", item_id=found.pk)
    user = request.user
    unit_side = has_cap(user, Cap.BOARD_REPORT) and scope_for(user).contains_path(found.unit.path)
    return render(
        request,
        "board/item.html",
        {
            "item": found,
            "colour": colour(found, clock.today()),
            "colour_words": COLOUR_WORDS,
            "steps": found.steps.select_related("actor"),
            "unit_side": unit_side,
            "reviewer": has_cap(user, Cap.BOARD_APPROVE) and found.raised_by_id == user.pk,
            "pending": found.extensions.filter(granted__isnull=True).first(),
        },
    )


def _item_step(request: HttpRequest, found: SupervisionItem) -> None:
    user, post, pk = request.user, request.POST, found.pk
    step = post.get("step")
    steps = {
        "accept": (lambda: item_accept(actor=user, item_id=pk), gettext("Accepted.")),
        "progress": (
            lambda: item_progress(actor=user, item_id=pk, text=post.get("text", "")),
            gettext("Progress recorded."),
        ),
        "report": (
            lambda: item_report(actor=user, item_id=pk, text=post.get("text", "")),
            gettext("Reported back for review."),
        ),
        "close": (
            lambda: item_review(actor=user, item_id=pk, close=True, text=post.get("text", "")),
            gettext("Closed."),
        ),
        "send_back": (
            lambda: item_review(actor=user, item_id=pk, close=False, text=post.get("text", "")),
            gettext("Sent back."),
        ),
        "extend": (
            lambda: extension_ask(
                actor=user,
                item_id=pk,
                reason=post.get("text", ""),
                new_deadline=_date(post.get("new_deadline")),
            ),
            gettext("More time asked for."),
        ),
        "grant": (
            lambda: extension_decide(
                actor=user, extension_id=form_id(post.get("extension")), grant=True
            ),
            gettext("More time granted."),
        ),
        "refuse": (
            lambda: extension_decide(
                actor=user, extension_id=form_id(post.get("extension")), grant=False
            ),
            gettext("More time refused."),
        ),
    }
    if step in steps:
        work, done = steps[step]
        run_and_report(request, work, done)


def _date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        raise ValidationFailed("date_invalid", "请填写日期。", "Give a date.") from None


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    """The half-year summary drafted from the board, to read here or take as Word or PDF."""
    _viewer(request)
    area = selectors.area_for(request.user, request.GET.get("unit"))
    day = clock.today()
    period_id = _period(request) or periods.period_of("half", day)
    found = draft(request.user, area, period_id)
    name = f"{found.title}"
    if request.GET.get("format") == "docx":
        return _download(
            as_docx(found),
            f"{name}.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    if request.GET.get("format") == "pdf":
        return _download(as_pdf(found), f"{name}.pdf", "application/pdf")
    return render(
        request, "board/summary.html", {"draft": found, "area": area, "period_id": period_id}
    )


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    answer = HttpResponse(content, content_type=content_type)
    answer["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return answer


BOARD_COLUMNS = [
    Column("序号", "int", width=6),
    Column("分组", width=10),
    Column("指标", width=36),
    Column("期间", width=14),
    Column("数值", "decimal"),
    Column("计量单位", width=12),
    Column("目标", "decimal"),
    Column("完成率", "percent"),
    Column("序时进度", "percent"),
    Column("亮灯", width=8),
    Column("责任处室", width=20),
    Column("责任领导", width=10),
    Column("口径", width=10),
]


def _board_xlsx(area: Region, rows: list[selectors.Row]) -> HttpResponseBase:
    """The board in the bureau's table layout; figures as numbers, rates as percentages."""
    return xlsx_download(
        filename=f"指标挂图晾晒-{area.name}-{clock.today():%Y%m%d}.xlsx",
        title=f"{area.name}民政重点指标挂图晾晒（{clock.today():%Y年%m月%d日}）",
        columns=BOARD_COLUMNS,
        rows=[
            (
                number,
                row.indicator.group,
                row.indicator.name,
                periods.label(row.period_id),
                row.shown,
                row.indicator.unit_label,
                row.target.value if row.target else None,
                row.done,
                row.elapsed,
                LIGHT_WORDS[row.light.colour],
                row.indicator.responsible_unit,
                row.indicator.leader,
                row.indicator.get_provenance_display(),
            )
            for number, row in enumerate(rows, start=1)
        ],
    )


def public(request: HttpRequest) -> HttpResponse:
    """挂图晾晒 for everyone: the city's and each district's figures, lights and ranks; no
    names, no persons, nothing below a district."""
    day = clock.today()
    city = Region.objects.get(code=city_code())
    districts = list(Region.objects.filter(parent=city).order_by("code"))
    indicators = list(Indicator.objects.filter(is_active=True))
    wanted = {i.pk: periods.period_of(i.period_type, day) for i in indicators}
    known = {
        unit.pk: selectors.Known.read(unit, set(wanted.values())) for unit in [city, *districts]
    }
    table = [
        (
            indicator,
            selectors.row_for(indicator, city, wanted[indicator.pk], day, known[city.pk]),
            [
                selectors.row_for(indicator, d, wanted[indicator.pk], day, known[d.pk])
                for d in districts
            ],
        )
        for indicator in indicators
    ]
    return render(
        request,
        "board/public.html",
        {"table": table, "districts": districts, "day": day, "city": city},
    )
