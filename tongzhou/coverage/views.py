import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext, pgettext

from tongzhou.core import clock
from tongzhou.core.charts import Chart, Series
from tongzhou.core.downloads import Column, xlsx_download
from tongzhou.coverage.selectors import (
    DELIVERY_DAYS,
    HOW_LABELS,
    REACH_KM,
    CoverageView,
    coverage_filtered,
    coverage_report,
    may_see_coverage,
)

FILTERS = ("district", "town", "island", "status")


@login_required
def coverage(request: HttpRequest) -> HttpResponse | FileResponse:
    """The rate per area (chart and table), then the villages the filters pick, a page at a
    time, and the same list as Excel."""
    if not may_see_coverage(request.user):
        raise Http404
    report = coverage_report(actor=request.user, day=clock.today())
    chosen = {name: request.GET.get(name, "") for name in FILTERS}
    if "status" not in request.GET:
        chosen["status"] = "uncovered"  # what an official works from
    view = coverage_filtered(report, **chosen)
    if request.GET.get("format") == "xlsx":
        with translation.override("zh-hans"):  # the bureau's files are in Chinese
            return _xlsx(report.day, view)
    chart = Chart(
        kind="bar",
        categories=[area.name for area in view.areas],
        series=[Series(gettext("coverage rate"), [area.percent for area in view.areas])],
        units=[pgettext("chart unit", "%")],
        decimals=[2],
    )
    page = Paginator(view.villages, 50).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in chosen.items() if v)
    return render(
        request,
        "coverage/coverage.html",
        {
            "report": report,
            "view": view,
            "chart": chart,
            "page": page,
            "chosen": chosen,
            "query": query,
            "how_labels": HOW_LABELS,
            "reach_km": REACH_KM,
            "delivery_days": DELIVERY_DAYS,
        },
    )


def _xlsx(day: dt.date, view: CoverageView) -> FileResponse:
    columns = [
        Column("区县", width=10),
        Column("镇（街道）", width=14),
        Column("村（社区）", width=22),
        Column("海岛", width=10),
        Column("是否覆盖", width=8),
        Column("覆盖方式", width=20),
        Column("最近的食堂", width=24),
        Column("距离（公里）", "km", width=10),
        Column("近30天送餐（次）", "int", width=12, total=True),
        Column("未覆盖原因", width=50),
    ]
    rows = (
        [
            v.village.parent.parent.name if v.village.parent and v.village.parent.parent else "",
            v.village.parent.name if v.village.parent else "",
            v.village.name,
            v.village.island.name if v.village.island else "",
            "是" if v.covered else "否",
            str(HOW_LABELS[v.how]) if v.covered else "",
            v.nearest.name if v.nearest else "",
            round(v.nearest_km, 1) if v.nearest_km is not None else None,
            v.deliveries,
            v.reason_zh,
        ]
        for v in view.villages
    )
    return xlsx_download(
        filename=f"助餐服务覆盖-{day:%Y%m%d}.xlsx",
        title=f"助餐配送餐服务村（社区）覆盖情况（截至{day:%Y年%m月%d日}）",
        columns=columns,
        rows=rows,
    )
