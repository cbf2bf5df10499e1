"""Pages of a canteen's governed life: the kitchen's tablet page for the day's records, the
officials' overview (applications at their step, findings open, traces), an application with
its steps, a canteen's records and inspections, and a food-safety trace with its call round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, level_of, scope_for
from tongzhou.canteens.models import Canteen, CanteenKind, Dish, SessionKind
from tongzhou.canteens.services import canteen_status_set
from tongzhou.core import clock, periods
from tongzhou.core.downloads import Column, xlsx_download
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.core.views import day_asked, form_id, run_and_report
from tongzhou.elders.selectors import elder_get
from tongzhou.oversight import selectors, services
from tongzhou.oversight.models import (
    Application,
    ApplicationFile,
    ApplicationStatus,
    HygieneKind,
    InspectorBody,
    OperatorKind,
    TraceCall,
)

CHECKLIST = [
    "食品经营许可证、从业人员健康证在有效期内并公示",
    "后厨布局合理，生熟分开，防蝇防鼠设施完好",
    "留样冰箱专用，留样记录完整（每样不少于125克、48小时）",
    "餐具清洗消毒设施正常，消毒记录完整",
    "食品原料进货查验记录和票证齐全",
    "明厨亮灶设施正常",
    "就餐区适老化（防滑、扶手、照明）",
    "消防设施和安全通道符合要求",
]


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal((value or "").strip())
    except InvalidOperation:
        return None


# --- the kitchen's tablet page ---------------------------------------------------------------


def _my_kitchen(request: HttpRequest) -> Canteen:
    if not has_cap(request.user, Cap.KITCHEN_RECORD):
        raise Http404
    canteen_id = scope_for(request.user).canteen_id or form_id(request.GET.get("canteen"))
    found = Canteen.objects.filter(scope_for(request.user).canteen_q(), pk=canteen_id).first()
    if found is None:
        raise Http404
    return found


@login_required
def kitchen(request: HttpRequest) -> HttpResponse:
    """The day's records, each where it is done: a check per worker, a sample per dish served,
    disinfection and temperatures, goods received."""
    canteen = _my_kitchen(request)
    if request.method == "POST":
        _kitchen_post(request, canteen)
        return redirect(f"{request.path}#{request.POST.get('form', '')}")
    day = clock.today()
    return render(
        request,
        "oversight/kitchen.html",
        {
            "canteen": canteen,
            "sheet": selectors.day_sheet(canteen, day),
            "to_discard": list(selectors.samples_to_discard(canteen)),
            "hygiene_kinds": HygieneKind.choices,
            "findings": list(selectors.findings_open(request.user).filter(canteen=canteen)),
            "complaints": selectors.voice_of(
                canteen, day - dt.timedelta(days=90), day
            ).open_complaints,
        },
    )


def _kitchen_post(request: HttpRequest, canteen: Canteen) -> None:
    """Saves the one record the form on the page posted, and says how it went."""
    user, post, files, pk = request.user, request.POST, request.FILES, canteen.pk
    temperature = _decimal(post.get("temperature"))
    staff_row = services.StaffRow(
        post.get("name", ""),
        post.get("job", ""),
        post.get("health_cert_no", ""),
        day_asked(post.get("health_cert_expires_on")),
    )
    forms: dict[str, tuple[Callable[[], Any], str]] = {
        "check": (
            lambda: services.morning_check_record(
                actor=user,
                canteen_id=pk,
                staff_id=form_id(post.get("staff")),
                temperature=temperature if temperature is not None else Decimal(0),
                symptoms=post.get("symptoms", ""),
            ),
            gettext("Morning check saved."),
        ),
        "sample": (
            lambda: services.sample_record(
                actor=user,
                canteen_id=pk,
                session=post.get("session", ""),
                dish_id=form_id(post.get("dish")),
                grams=form_id(post.get("grams")),
                photo=files.get("photo"),
                taken_by=post.get("taken_by", ""),
            ),
            gettext("Sample saved: keep it 48 hours."),
        ),
        "discard": (
            lambda: services.sample_discard(actor=user, sample_id=form_id(post.get("sample"))),
            gettext("Sample discarded."),
        ),
        "hygiene": (
            lambda: services.hygiene_record(
                actor=user,
                canteen_id=pk,
                kind=post.get("kind", ""),
                reading=_decimal(post.get("reading")),
                method=post.get("method", ""),
            ),
            gettext("Record saved."),
        ),
        "purchase": (
            lambda: services.purchase_record(
                actor=user,
                canteen_id=pk,
                supplier=post.get("supplier", ""),
                goods=post.get("goods", ""),
                invoice_no=post.get("invoice_no", ""),
                certificate_no=post.get("certificate_no", ""),
                photo=files.get("photo"),
                accepted=post.get("accepted", "1") == "1",
                note=post.get("note", ""),
            ),
            gettext("Goods received saved."),
        ),
        "staff": (
            lambda: services.kitchen_staff_add(actor=user, canteen_id=pk, row=staff_row),
            gettext("Worker added."),
        ),
        "leave": (
            lambda: services.kitchen_staff_leave(actor=user, staff_id=form_id(post.get("staff"))),
            gettext("Marked as no longer working here."),
        ),
        "rectify": (
            lambda: services.finding_rectify(
                actor=user,
                finding_id=form_id(post.get("finding")),
                text=post.get("text", ""),
                photo=files.get("photo"),
            ),
            gettext("Rectification reported: the inspectors will confirm it."),
        ),
        "answer": (
            lambda: services.complaint_answer(
                actor=user,
                complaint_id=form_id(post.get("complaint")),
                answer=post.get("answer", ""),
            ),
            gettext("Answer saved."),
        ),
    }
    chosen = forms.get(post.get("form", ""))
    if chosen is not None:
        run_and_report(request, *chosen)


# --- the officials' pages --------------------------------------------------------------------


def _governor(request: HttpRequest) -> None:
    if not has_cap(request.user, Cap.CANTEEN_GOVERN) and not has_cap(
        request.user, Cap.CANTEEN_APPLY
    ):
        raise Http404


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _governor(request)
    user, day = request.user, clock.today()
    step = selectors.waiting_step(user)
    applications = selectors.applications_visible_to(user)
    canteens = list(
        selectors.canteens_governed(user).filter(status__in=["open", "suspended"])[:200]
    )
    governs = has_cap(user, Cap.CANTEEN_GOVERN)
    return render(
        request,
        "oversight/overview.html",
        {
            "waiting": list(applications.filter(status=step)) if governs and step else [],
            "underway": list(
                applications.exclude(status=ApplicationStatus.RECORDED).order_by("-created_at")[:30]
            ),
            "findings": list(selectors.findings_open(user)[:50]) if governs else [],
            "traces": list(selectors.traces_visible_to(user)[:10]) if governs else [],
            "sheets": [(sheet.canteen, sheet) for sheet in selectors.day_sheets(canteens, day)]
            if governs
            else [],
            "may_apply": has_cap(user, Cap.CANTEEN_APPLY),
            "today": day,
        },
    )


STAFF_ROWS = 5


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    """An operator's application entered by its village or town, with its kitchen staff and
    photos; submitted to the town. A refusal keeps what was typed."""
    if not has_cap(request.user, Cap.CANTEEN_APPLY):
        raise Http404
    villages = selectors.villages_for(request.user)
    post = request.POST
    if request.method == "POST":
        village = next((v for v in villages if str(v.pk) == post.get("village")), None)
        staff = [
            services.StaffRow(
                post.get(f"staff_name_{n}", "").strip(),
                post.get(f"staff_job_{n}", "").strip() or "厨师",
                post.get(f"staff_cert_{n}", "").strip(),
                day_asked(post.get(f"staff_until_{n}")),
            )
            for n in range(STAFF_ROWS)
            if post.get(f"staff_name_{n}", "").strip()
        ]
        made: dict[str, int] = {}

        def submit() -> None:
            if village is None:
                raise ValidationFailed(
                    "village_required", "请选择所在村（社区）。", "Choose the village."
                )
            application = Application(
                operator_name=post.get("operator_name", "").strip()[:100],
                operator_kind=post.get("operator_kind", ""),
                credit_code=post.get("credit_code", "").strip()[:18],
                contact_name=post.get("contact_name", "").strip()[:40],
                contact_phone=post.get("contact_phone", "").strip()[:20],
                name=post.get("name", "").strip()[:60],
                kind=post.get("kind", ""),
                village=village,
                address=post.get("address", "").strip()[:120],
                lon=float(village.lon or 0),
                lat=float(village.lat or 0),
                seats=0 if post.get("kind") == "central_kitchen" else form_id(post.get("seats")),
                daily_capacity=form_id(post.get("daily_capacity")),
                sessions=post.getlist("sessions"),
                licence_no=post.get("licence_no", "").strip()[:30],
                licence_expires_on=day_asked(post.get("licence_expires_on")),
                insurance_no=post.get("insurance_no", "").strip()[:40],
                insurance_expires_on=day_asked(post.get("insurance_expires_on")),
            )
            if not application.operator_name or not application.name:
                raise ValidationFailed(
                    "application_names_missing",
                    "请填写运营主体和食堂名称。",
                    "Give the operator and the canteen's name.",
                )
            made["pk"] = services.application_submit(
                actor=request.user,
                application=application,
                staff=staff,
                files=[("场地照片", photo) for photo in request.FILES.getlist("photos")],
            ).pk

        run_and_report(request, submit, gettext("Submitted to the town for its review."))
        if "pk" in made:
            return redirect("oversight:application", application_id=made["pk"])
    return render(
        request,
        "oversight/application_new.html",
        {
            "villages": villages,
            "kinds": CanteenKind.choices,
            "operator_kinds": OperatorKind.choices,
            "sessions": SessionKind.choices,
            "staff_rows": range(STAFF_ROWS),
            "form": post,
            "chosen_sessions": post.getlist("sessions") if post else ["lunch"],
        },
    )


@login_required
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    _governor(request)
    try:
        found = selectors.application_get(request.user, application_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        _application_post(request, found.pk)
        return redirect(request.path)
    mine = has_cap(request.user, Cap.CANTEEN_GOVERN) and selectors.waiting_step(request.user) == (
        found.status
    )
    return render(
        request,
        "oversight/application.html",
        {
            "application": found,
            "my_step": found.status if mine else "",
            "checklist": CHECKLIST,
            "steps": list(found.steps.select_related("actor")),
            "files": list(found.files.all()),
            "staff": list(found.staff.all()),
            "stages": list(found.stage_payments.all()),
        },
    )


def _application_post(request: HttpRequest, application_id: int) -> None:
    user, post = request.user, request.POST
    step, comment = post.get("step", ""), post.get("comment", "")
    if step == "town_pass":
        run_and_report(
            request,
            lambda: services.application_town_pass(
                actor=user, application_id=application_id, comment=comment
            ),
            gettext("Passed to the district for its inspection."),
        )
    elif step == "return":
        run_and_report(
            request,
            lambda: services.application_return(
                actor=user, application_id=application_id, comment=comment
            ),
            gettext("Sent back with your comment."),
        )
    elif step == "accept":
        points = [
            services.ChecklistPoint(point, post.get(f"met_{n}") == "1", post.get(f"note_{n}", ""))
            for n, point in enumerate(CHECKLIST)
        ]
        run_and_report(
            request,
            lambda: services.application_accept(
                actor=user,
                application_id=application_id,
                checklist=points,
                inspectors=post.get("inspectors", ""),
                photos=request.FILES.getlist("photos"),
                comment=comment,
            ),
            gettext("Accepted: the canteen is registered and may sell from today."),
        )
    elif step == "record":
        run_and_report(
            request,
            lambda: services.application_record(
                actor=user, application_id=application_id, comment=comment
            ),
            gettext("Recorded; the construction subsidy's first stage is released."),
        )


@login_required
def application_file(request: HttpRequest, file_id: int) -> FileResponse:
    """An application's photo or paper, only to those who see the application."""
    _governor(request)
    found = (
        ApplicationFile.objects.filter(pk=file_id)
        .filter(application__in=selectors.applications_visible_to(request.user))
        .first()
    )
    if found is None:
        raise Http404
    return FileResponse(found.file.open("rb"), filename=(found.file.name or "").rsplit("/")[-1])


@login_required
def canteen(request: HttpRequest, canteen_id: int) -> HttpResponse:
    """A canteen's records and inspections, for the officials over it; they inspect here."""
    _governor(request)
    try:
        found = selectors.canteen_get(request.user, canteen_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        return redirect(_inspect_post(request, found) or request.path)
    day = clock.today()
    return render(
        request,
        "oversight/canteen.html",
        {
            "canteen": found,
            "sheet": selectors.day_sheet(found, day),
            "inspections": list(selectors.inspections_of(found)[:20]),
            "voice": selectors.voice_of(found, day - dt.timedelta(days=180), day),
            "checklist": CHECKLIST,
            "bodies": InspectorBody.choices,
            "dishes": list(Dish.objects.filter(canteen=found).order_by("name")),
            "governs": has_cap(request.user, Cap.CANTEEN_GOVERN),
            "today": day,
            "evaluations": list(found.evaluations.order_by("-period_id")[:6]),
            "others": list(
                selectors.canteens_governed(request.user)
                .filter(status="open")
                .exclude(pk=found.pk)
                .order_by("code")
            ),
        },
    )


def _inspect_post(request: HttpRequest, canteen: Canteen) -> str | None:
    """Saves the form posted; the page to go to next when it is not the canteen's own."""
    user, post = request.user, request.POST
    if post.get("form") == "trace":
        day = day_asked(post.get("day"))
        outcome: dict[str, int] = {}

        def open_trace() -> None:
            outcome["case"] = services.trace_open(
                actor=user,
                canteen_id=canteen.pk,
                day=day,
                reason=post.get("reason", ""),
                dish_id=form_id(post.get("dish")) or None,
                stop_canteen=post.get("stop_canteen") == "1",
            ).pk

        run_and_report(request, open_trace, gettext("Sales stopped; the list of who ate is below."))
        return f"/oversight/traces/{outcome['case']}/" if "case" in outcome else None
    if post.get("form") == "confirm":
        run_and_report(
            request,
            lambda: services.finding_confirm(
                actor=user,
                finding_id=form_id(post.get("finding")),
                accept=post.get("accept") == "1",
                comment=post.get("comment", ""),
            ),
            gettext("Saved."),
        )
        return None
    points = [
        services.ChecklistPoint(point, post.get(f"met_{n}") == "1", post.get(f"note_{n}", ""))
        for n, point in enumerate(CHECKLIST)
    ]
    findings = [
        services.FindingRow(
            post.get(f"finding_{n}", ""),
            day_asked(post.get(f"deadline_{n}")),
            request.FILES.get(f"finding_photo_{n}"),
        )
        for n in range(3)
        if post.get(f"finding_{n}", "").strip()
    ]
    run_and_report(
        request,
        lambda: services.inspection_record(
            actor=user,
            canteen_id=canteen.pk,
            checklist=points,
            inspectors=post.get("inspectors", ""),
            findings=findings,
            with_market_regulator=post.get("market") == "1",
        ),
        gettext("Inspection saved."),
    )
    return None


@login_required
def trace(request: HttpRequest, case_id: int) -> HttpResponse:
    _governor(request)
    try:
        case = selectors.traces_visible_to(request.user).filter(pk=case_id).first()
    except DomainError:
        raise Http404 from None
    if case is None:
        raise Http404
    if request.method == "POST":
        post = request.POST
        if post.get("form") == "close":
            run_and_report(
                request,
                lambda: services.trace_close(
                    actor=request.user, case_id=case.pk, conclusion=post.get("conclusion", "")
                ),
                gettext("Trace closed."),
            )
        else:
            run_and_report(
                request,
                lambda: services.trace_call(
                    actor=request.user,
                    case_id=case.pk,
                    elder_id=form_id(post.get("elder")),
                    outcome=post.get("outcome", ""),
                    note=post.get("note", ""),
                ),
                gettext("Call saved."),
            )
        return redirect(request.path)
    calls: dict[int, TraceCall] = {c.elder_id: c for c in case.calls.all()}
    workers = selectors.village_workers({e["village_id"] for e in case.eaters})
    return render(
        request,
        "oversight/trace.html",
        {
            "case": case,
            "rows": [
                (e, calls.get(e["elder"]), workers.get(e["village_id"], [])) for e in case.eaters
            ],
        },
    )


# --- 事后: evaluations -----------------------------------------------------------------------

EVALUATION_COLUMNS = [
    Column("食堂", width=22),
    Column("所在地", width=14),
    Column("服务人天", "int", total=True),
    Column("评价条数", "int", total=True),
    Column("平均评分", "decimal"),
    Column("投诉", "int", total=True),
    Column("按时答复", "int", total=True),
    Column("检查次数", "int", total=True),
    Column("检查平均得分", "decimal"),
    Column("供餐天数", "int", total=True),
    Column("台账完整天数", "int", total=True),
    Column("结算单按时报送", "text", width=12),
    Column("总分", "decimal"),
    Column("星级", "int"),
    Column("每人天运营补贴（元）", "yuan"),
    Column("运营补贴（元）", "yuan", total=True),
    Column("整改", width=10),
]


AREA_COLUMNS = [
    Column("地区", width=14),
    Column("食堂数", "int", total=True),
    Column("服务人天", "int", total=True),
    Column("评价条数", "int", total=True),
    Column("平均评分", "decimal"),
    Column("投诉", "int", total=True),
    Column("按时答复", "int", total=True),
    Column("检查次数", "int", total=True),
    Column("未整改问题", "int", total=True),
    Column("台账完整率", "percent"),
    Column("星级分布", width=24),
    Column("运营补贴（元）", "yuan", total=True),
]


def _period_asked(request: HttpRequest) -> str:
    """The period asked for; else the latest one evaluated in the area; else the half-year
    just ended."""
    asked = request.GET.get("period", "")
    try:
        periods.bounds(asked)
    except ValueError:
        latest = selectors.latest_evaluated(request.user)
        return latest or periods.previous(periods.period_of("half", clock.today()))
    return asked


@login_required
def evaluations(request: HttpRequest) -> HttpResponseBase:
    """The half-year's (or year's) evaluations of the area's canteens: figures, parts, score,
    stars and operating subsidy; run again by the district or city; as Excel."""
    if not has_cap(request.user, Cap.CANTEEN_GOVERN):
        raise Http404
    period_id = _period_asked(request)
    if request.method == "POST":
        if request.POST.get("release"):
            run_and_report(
                request,
                lambda: services.evaluation_subsidy_release(
                    actor=request.user, evaluation_id=form_id(request.POST.get("release"))
                ),
                gettext("The operating subsidy is released to the canteen."),
            )
        else:
            run_and_report(
                request,
                lambda: services.evaluations_run(actor=request.user, period_id=period_id),
                gettext("Evaluated from the canteens' own data."),
            )
        return redirect(f"{request.path}?period={period_id}")
    rows = list(selectors.evaluations_of(request.user, period_id))
    areas = selectors.area_summaries(request.user, rows)
    if request.GET.get("format") == "xlsx" and request.GET.get("by") == "area":
        return xlsx_download(
            filename=f"幸福食堂考评汇总-{periods.label(period_id)}.xlsx",
            title=f"幸福食堂考评汇总（{periods.label(period_id)}）",
            columns=AREA_COLUMNS,
            rows=[
                (
                    a.area.name,
                    a.canteens,
                    a.elder_days,
                    a.ratings,
                    a.rating_average,
                    a.complaints,
                    a.complaints_in_time,
                    a.inspections,
                    a.findings_open,
                    a.records_share,
                    "、".join(f"{n}星{c}家" for n, c in sorted(a.by_stars.items(), reverse=True)),
                    a.subsidy_fen,
                )
                for a in areas
            ],
        )
    if request.GET.get("format") == "xlsx":
        return xlsx_download(
            filename=f"幸福食堂考评-{periods.label(period_id)}.xlsx",
            title=f"幸福食堂考评（{periods.label(period_id)}）",
            columns=EVALUATION_COLUMNS,
            rows=[
                (
                    e.canteen.name,
                    e.canteen.village.name,
                    e.figures["elder_days"],
                    e.figures["ratings"],
                    e.figures["rating_average"],
                    e.figures["complaints"],
                    e.figures["complaints_in_time"],
                    e.figures["inspections"],
                    e.figures["inspection_average"],
                    e.figures["days_served"],
                    e.figures["days_complete"],
                    f"{e.figures['statements_on_time']}/{e.figures['statements']}",
                    e.score,
                    e.stars,
                    e.subsidy_fen_per_elder_day,
                    e.subsidy_fen,
                    "需整改" if e.rectification_id else "",
                )
                for e in rows
            ],
        )
    return render(
        request,
        "oversight/evaluations.html",
        {
            "rows": rows,
            "areas": areas,
            "period_id": period_id,
            "choices": [
                periods.previous(periods.period_of("half", clock.today())),
                periods.period_of("half", clock.today()),
                str(clock.today().year - 1),
            ],
            "may_run": level_of(request.user) in ("city", "district"),
            "may_release": level_of(request.user) == "city",
        },
    )


@login_required
def canteen_status(request: HttpRequest, canteen_id: int) -> HttpResponse:
    """Suspend, reopen or close (exit, with the bookings moved) a canteen."""
    _governor(request)
    if request.method != "POST" or not has_cap(request.user, Cap.CANTEEN_GOVERN):
        raise Http404
    post, user = request.POST, request.user
    step = post.get("step", "")
    if step == "exit":
        run_and_report(
            request,
            lambda: services.canteen_exit(
                actor=user,
                canteen_id=canteen_id,
                reason=post.get("reason", ""),
                move_to_id=form_id(post.get("move_to")),
                from_day=day_asked(post.get("from_day")),
            ),
            gettext("The canteen is closed; its elders' bookings are moved and they are told."),
        )
    else:
        run_and_report(
            request,
            lambda: canteen_status_set(
                actor=user,
                canteen_id=canteen_id,
                status="suspended" if step == "suspend" else "open",
                reason=post.get("reason", "") or gettext("reopened"),
            ),
            gettext("Saved."),
        )
    return redirect("oversight:canteen", canteen_id=canteen_id)


@login_required
def elder_meals(request: HttpRequest, elder_id: int) -> HttpResponse:
    """A worker on the phone with an elder: the week's meals rated for them, and what went
    wrong told to the canteen."""
    if not has_cap(request.user, Cap.MEAL_RATE):
        raise Http404
    try:
        elder = elder_get(actor=request.user, elder_id=elder_id)
    except DomainError:
        raise Http404 from None
    post, user = request.POST, request.user
    if request.method == "POST":
        if post.get("complaint", "").strip():
            run_and_report(
                request,
                lambda: services.complaint_make(
                    canteen_id=form_id(post.get("canteen")),
                    text=post["complaint"],
                    channel="phone",
                    actor=user,
                    elder_id=elder.pk,
                ),
                gettext("Sent to the canteen; it answers within 3 days."),
            )
        else:
            run_and_report(
                request,
                lambda: services.meal_rate(
                    meal_id=form_id(post.get("meal")),
                    stars=form_id(post.get("stars")),
                    channel="phone",
                    actor=user,
                ),
                gettext("Rating saved."),
            )
        return redirect(request.path)
    meals = list(selectors.rateable_meals(elder.pk)[:10])
    return render(
        request,
        "oversight/elder_meals.html",
        {
            "elder": elder,
            "meals": meals,
            "canteens": list({meal.canteen_id: meal.canteen for meal in meals}.values()),
        },
    )
