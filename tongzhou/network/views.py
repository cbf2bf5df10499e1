"""The service network's pages: the overview (island tiers and what each lacks, coverage per
unit, the gaps and where new stations would help most, the year's build plans) and the map."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.core.downloads import Column, xlsx_download
from tongzhou.core.views import form_id, month_asked, run_and_report
from tongzhou.network import selectors, services
from tongzhou.network.mapdata import map_layers
from tongzhou.network.models import CircleProfile
from tongzhou.network.tiers import TIER_NAMES
from tongzhou.network.workforce import workforce

SUGGESTIONS = 5


def _profile(request: HttpRequest) -> CircleProfile:
    if not has_cap(request.user, Cap.CARE_VIEW):
        raise Http404
    return selectors.profile_for(request.GET.get("profile"))


@login_required
def overview(request: HttpRequest) -> HttpResponseBase:
    profile = _profile(request)
    report = selectors.coverage_report(request.user, profile)
    if request.GET.get("format") == "xlsx":
        districts = selectors.district_names()
        return xlsx_download(
            filename=f"15分钟养老服务圈覆盖-{profile.code}.xlsx",
            title=f"15分钟养老服务圈覆盖（{profile.name_zh}；{report.coverage.method}）",
            columns=[
                Column("区县", width=10),
                Column("镇（街道）", width=14),
                Column("村（社区）", width=20),
                Column("海岛", width=12),
                Column("在册老人", "int", total=True),
                Column("已覆盖", "int", total=True),
                Column("未覆盖", "int", total=True),
                Column("覆盖率", "percent"),
            ],
            rows=[
                (
                    districts.get(row.region.path.split("/")[1], ""),
                    row.region.parent.name if row.region.parent else "",
                    row.region.name,
                    row.region.island.name if row.region.island else "",
                    row.tally.elders,
                    row.tally.covered,
                    row.tally.uncovered,
                    row.tally.share,
                )
                for row in report.villages
            ],
        )
    return render(
        request,
        "network/overview.html",
        {
            "profile": profile,
            "profiles": CircleProfile.objects.all(),
            "report": report,
            "gaps": [row for row in report.villages if row.tally.uncovered][:20],
            "islands": selectors.island_rows(request.user),
            "tier_names": TIER_NAMES,
            "suggestions": selectors.new_site_suggestions(request.user, profile, SUGGESTIONS),
            "plans": selectors.plan_progress(request.user),
        },
    )


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    profile = _profile(request)
    return render(
        request,
        "network/map.html",
        {"profile": profile, "profiles": CircleProfile.objects.all()},
    )


@login_required
def map_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(map_layers(request.user, _profile(request)))


@login_required
def rota(request: HttpRequest) -> HttpResponse:
    """The mobile teams' month: planned here, printed for the team, each visit recorded."""
    _profile(request)  # the same readers as the network's other pages
    month = month_asked(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        user, step = request.user, request.POST.get("step")
        if step == "plan":
            run_and_report(request, lambda: services.rota_plan(actor=user, month=month),
                           gettext("The month is planned."))  # fmt: skip
        elif step == "done":
            run_and_report(
                request,
                lambda: services.rota_record(actor=user, visit_id=form_id(
                    request.POST.get("visit")), note=request.POST.get("note", "")),
                gettext("The visit is recorded."),
            )  # fmt: skip
        return redirect(f"{request.path}?month={month:%Y-%m}")
    return render(
        request,
        "network/rota.html",
        {
            "month": month,
            "plan": selectors.rota_month(request.user, month),
            "can_plan": has_cap(request.user, Cap.CARE_REVIEW),
            "can_record": has_cap(request.user, Cap.CARE_ORDER),
        },
    )


@login_required
def workforce_page(request: HttpRequest) -> HttpResponse:
    """Carers, training and community workers per unit."""
    _profile(request)
    return render(request, "network/workforce.html", {"work": workforce(request.user)})
