"""Pages of the care services: the list (load and export), an elder's entitlements and
orders for the worker, the order desk, and the carer's phone pages at the door."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.care import listio, selectors, services
from tongzhou.care.exports import version_rows
from tongzhou.care.models import (
    OrderStatus,
    Provider,
    ProviderStatement,
    ServiceGroup,
    ServiceListVersion,
)
from tongzhou.care.rules import ASSESSMENT_NAMES, TIER_NAMES
from tongzhou.core import clock
from tongzhou.core.downloads import XLSX, Column, xlsx_download
from tongzhou.core.errors import DomainError
from tongzhou.core.masking import mask_name
from tongzhou.core.views import form_id, month_asked, run_and_report
from tongzhou.elders.importer import ImportFileError, report_lines
from tongzhou.elders.models import Category
from tongzhou.elders.selectors import elder_get
from tongzhou.identity.face_services import frame_bytes
from tongzhou.identity.liveness import MAX_FRAMES
from tongzhou.settlement.models import Cycle
from tongzhou.settlement.services import period_bounds


def _require(request: HttpRequest, cap: Cap) -> None:
    if not has_cap(request.user, cap):
        raise Http404


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.CARE_VIEW)
    if request.method == "POST":
        _upload(request)
        return redirect("care:list")
    names = dict(Category.objects.values_list("code", "name_zh"))
    version_id = form_id(request.GET.get("version"))
    version = (
        ServiceListVersion.objects.filter(pk=version_id).first()
        if version_id
        else selectors.list_in_force()
    )
    return render(
        request,
        "care/list.html",
        {
            "version": version,
            "in_force": selectors.list_in_force(),
            "versions": selectors.list_versions(),
            "groups": [(g, group_who(g, names)) for g in version.groups.all()] if version else [],
            "items": version.items.prefetch_related("groups") if version else [],
            "can_load": has_cap(request.user, Cap.CARE_LIST_EDIT),
            "tomorrow": clock.today() + dt.timedelta(days=1),
        },
    )


def group_who(group: ServiceGroup, categories: dict[str, str]) -> str:
    """The rule in words: 60周岁以上；特困供养、低保；独居；能力评估轻度失能及以上；离岛、小岛."""
    parts = []
    if group.min_age is not None or group.max_age is not None:
        low = f"{group.min_age}周岁以上" if group.min_age is not None else ""
        high = f"{group.max_age}周岁以下" if group.max_age is not None else ""
        parts.append(low + high)
    who = [categories.get(c, c) for c in group.categories]
    who += [listio.words_for(listio.LIVING_WORDS, v) for v in group.living]
    if who:
        parts.append("、".join(dict.fromkeys(who)) + "（其一）")
    if group.min_assessment_level is not None:
        parts.append(f"能力评估{ASSESSMENT_NAMES[group.min_assessment_level]}及以上")
    if group.island_tiers:
        parts.append("住在" + "、".join(TIER_NAMES[t] for t in group.island_tiers))
    return "；".join(parts)


def _upload(request: HttpRequest) -> None:
    upload = request.FILES.get("file")
    try:
        valid_from = dt.date.fromisoformat(request.POST.get("valid_from", ""))
    except ValueError:
        messages.error(request, gettext("Choose the day the new list comes into force."))
        return
    if upload is None:
        messages.error(request, gettext("Choose the Excel file of the list."))
        return
    try:
        groups, items = listio.read_workbook(upload)
        version, report = services.service_list_load(
            actor=request.user,
            name=request.POST.get("name", "").strip(),
            valid_from=valid_from,
            groups=groups,
            items=items,
        )
    except (DomainError, ImportFileError) as refused:
        messages.error(request, refused.message())
        return
    language = request.LANGUAGE_CODE or "zh-hans"
    for line in report_lines(report, language)[:60]:
        (messages.warning if report.errors else messages.success)(request, line)
    if version is None:
        messages.error(
            request, gettext("Nothing was loaded: the file has no usable groups or items.")
        )


@login_required
def export_list(request: HttpRequest, version_id: int) -> FileResponse:
    _require(request, Cap.CARE_VIEW)
    version = ServiceListVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404
    groups, items = version_rows(version)
    data = listio.write_workbook(
        groups, items, dict(Category.objects.values_list("code", "name_zh"))
    )
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=f"基本养老服务清单-{version.valid_from:%Y%m%d}.xlsx",
        content_type=XLSX,
    )


@login_required
def elder_care(request: HttpRequest, elder_id: int) -> HttpResponse:
    """The worker's page of one elder's services: what they are entitled to and why, what is
    left this period, their orders."""
    _require(request, Cap.CARE_VIEW)
    try:
        elder = elder_get(actor=request.user, elder_id=elder_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        run_and_report(
            request,
            lambda: services.order_create(
                actor=request.user,
                elder=elder,
                item_code=request.POST.get("item", ""),
                quantity=form_id(request.POST.get("quantity")),
                note=request.POST.get("note", ""),
            ),
            gettext("Ordered. The order waits for dispatch on the order desk."),
        )
        return redirect("care:elder", elder_id=elder.pk)
    services.entitlements_refresh(elder_ids=[elder.pk], day=clock.today())
    entitlements = selectors.elder_entitlements(elder)
    return render(
        request,
        "care/elder.html",
        {
            "elder": elder,
            "masked_name": mask_name(elder.name),
            "entitlements": entitlements,
            "orderable": [e for e in entitlements if e.orderable and e.left > 0],
            "orders": selectors.orders_visible_to(request.user).filter(elder=elder)[:30],
            "history": selectors.entitlement_history(elder).exclude(valid_to__isnull=True)[:30],
            "can_order": has_cap(request.user, Cap.CARE_ORDER),
        },
    )


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """The order desk: dispatch what waits, review what came back doubtful, call back."""
    _require(request, Cap.CARE_VIEW)
    if request.method == "POST":
        _order_action(request)
        return redirect(f"{request.get_full_path()}#order-{form_id(request.POST.get('order'))}")
    status = request.GET.get("status", "open")
    found = selectors.orders_for_staff(request.user, status=status).order_by("-created_at")
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "care/orders.html",
        {
            "page": page,
            "status": status,
            "statuses": [
                ("open", gettext("Not yet done")),
                ("callback", gettext("To call back (one in ten approved)")),
                *OrderStatus.choices,
            ],
            "providers": Provider.objects.filter(is_active=True).select_related("region"),
            "can_order": has_cap(request.user, Cap.CARE_ORDER),
            "can_review": has_cap(request.user, Cap.CARE_REVIEW),
        },
    )


def _order_action(request: HttpRequest) -> None:
    order_id = form_id(request.POST.get("order"))
    action = request.POST.get("action")
    note = request.POST.get("note", "")
    user = request.user
    if action == "dispatch":
        provider = Provider.objects.filter(pk=form_id(request.POST.get("provider"))).first()
        if provider is None:
            messages.error(request, gettext("Choose a provider."))
            return
        run_and_report(
            request,
            lambda: services.order_dispatch(actor=user, order_id=order_id, provider=provider),
            gettext("Dispatched to %(provider)s.") % {"provider": provider.name},
        )
    elif action in ("approve", "reject"):
        run_and_report(
            request,
            lambda: services.order_review(
                actor=user, order_id=order_id, approve=action == "approve", note=note
            ),
            gettext("Approved.")
            if action == "approve"
            else gettext("Rejected; the entitlement is given back."),
        )
    elif action == "cancel":
        run_and_report(
            request,
            lambda: services.order_cancel(actor=user, order_id=order_id, why=note),
            gettext("Cancelled; the entitlement is given back."),
        )
    elif action == "callback":
        run_and_report(
            request,
            lambda: services.order_callback(
                actor=user,
                order_id=order_id,
                satisfaction=form_id(request.POST.get("satisfaction")),
                note=note,
            ),
            gettext("Callback recorded."),
        )


@login_required
def serve(request: HttpRequest) -> HttpResponse:
    """The carer's phone: orders to take, today's visits, what was done today."""
    _require(request, Cap.CARE_SERVE)
    if request.method == "POST":
        order_id = form_id(request.POST.get("order"))
        window = _window(request)
        if window is None:
            messages.error(request, gettext("Choose the day and the time you will come."))
        else:
            run_and_report(
                request,
                lambda: services.order_accept(
                    actor=request.user,
                    order_id=order_id,
                    window_start=window[0],
                    window_end=window[1],
                ),
                gettext("Accepted. It is on your list for that day."),
            )
        return redirect("care:serve")
    today = clock.today()
    return render(
        request,
        "care/serve.html",
        {
            "day": today,
            **selectors.carer_day(request.user, today),
            "carer": services.carer_of(request.user),
        },
    )


def _window(request: HttpRequest) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
        start = dt.time.fromisoformat(request.POST.get("start", ""))
        end = dt.time.fromisoformat(request.POST.get("end", ""))
    except ValueError:
        return None
    zone = timezone.get_default_timezone()
    return (dt.datetime.combine(day, start, zone), dt.datetime.combine(day, end, zone))


def _position(request: HttpRequest) -> services.Position | None:
    try:
        lon = float(request.POST.get("lon", ""))
        lat = float(request.POST.get("lat", ""))
        accuracy = float(request.POST.get("accuracy", "") or 9999)
    except ValueError:
        return None
    device_ms = form_id(request.POST.get("device_ms"))
    device_at = dt.datetime.fromtimestamp(device_ms / 1000, tz=dt.UTC) if device_ms else None
    return services.Position(lon=lon, lat=lat, accuracy_m=accuracy, device_at=device_at)


@login_required
def serve_order(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order at the door: check in, check out with a photo, the elder confirms."""
    _require(request, Cap.CARE_SERVE)
    try:
        order = selectors.order_get(request.user, order_id)
    except DomainError:
        raise Http404 from None
    if request.method == "POST":
        step = request.POST.get("step")
        user = request.user
        if step == "check_in":
            run_and_report(
                request,
                lambda: services.order_check_in(
                    actor=user, order_id=order.pk, position=_position(request)
                ),
                gettext("Checked in."),
            )
        elif step == "check_out":
            run_and_report(
                request,
                lambda: services.order_check_out(
                    actor=user,
                    order_id=order.pk,
                    position=_position(request),
                    photo=request.FILES.get("photo"),
                ),
                gettext("Checked out. Now ask the elder to confirm."),
            )
        elif step == "confirm":
            run_and_report(
                request,
                lambda: services.order_confirm(
                    actor=user, order_id=order.pk, credential=request.POST.get("credential", "")
                ),
                gettext("Confirmed by the elder. Thank you."),
            )
        elif step == "face":
            frames = request.POST.getlist("frame")[:MAX_FRAMES]
            run_and_report(
                request,
                lambda: services.order_confirm_face(
                    actor=user,
                    order_id=order.pk,
                    frames=[frame_bytes(frame) for frame in frames],
                    challenge=request.POST.get("challenge", ""),
                ),
                gettext("Confirmed by the elder's face. Thank you."),
            )
        elif step == "unconfirmed":
            run_and_report(
                request,
                lambda: services.order_finish_unconfirmed(
                    actor=user, order_id=order.pk, why=request.POST.get("why", "")
                ),
                gettext("Finished without the elder's confirmation; it goes to review."),
            )
        return redirect("care:serve_order", order_id=order.pk)
    links = services.door_links(order)
    return render(request, "care/serve_order.html", {"order": order, "links": links})


SUMMARY_COLUMNS = [
    Column("服务机构", width=28),
    Column("结算状态", width=16),
    Column("服务单数", "int", total=True),
    Column("其中以前月份补记", "int", total=True),
    Column("服务金额（元）", "yuan", total=True),
    Column("政府承担（元）", "yuan", total=True),
    Column("慈善承担（元）", "yuan", total=True),
    Column("老人自付（机构自收，元）", "yuan", total=True),
    Column("应付服务机构（元）", "yuan", total=True),
    Column("待审核单数", "int", total=True),
    Column("待审核金额（元）", "yuan", total=True),
]
FIGURE_NAMES = ("orders", "adjustments", "price_fen", "government_fen", "charity_fen",
                "elder_fen", "payable_fen")  # fmt: skip


@login_required
@require_POST
def face_challenge(request: HttpRequest, order_id: int) -> JsonResponse:
    """The head turn to ask of the elder before their face confirms the order (JSON, for the
    phone page's camera)."""
    _require(request, Cap.CARE_SERVE)
    try:
        token, turn = services.order_face_challenge(actor=request.user, order_id=order_id)
    except DomainError as refused:
        return JsonResponse({"error": {"code": refused.code, "message": refused.message()}},
                            status=refused.status)  # fmt: skip
    return JsonResponse({"challenge": token, "turn": turn})


@login_required
def settlement(request: HttpRequest) -> HttpResponseBase:
    """Each provider's month: its statement once closed, else what closing would fix; the
    district closes it, the city approves it and records the payment, each where it shows."""
    _require(request, Cap.CARE_VIEW)
    month = month_asked(request.GET.get("month") or request.POST.get("month"))
    if request.method == "POST":
        _statement_step(request, month)
        return redirect(f"{request.path}?month={month:%Y-%m}")
    lines = selectors.provider_month(request.user, month)
    status_words = {line.provider.pk: _statement_words(line.statement) for line in lines}
    if request.GET.get("format") == "xlsx":
        return xlsx_download(
            filename=f"上门服务结算汇总-{month:%Y%m}.xlsx",
            title=f"上门服务结算汇总（{month:%Y年%m月}）",
            columns=SUMMARY_COLUMNS,
            rows=[
                (
                    line.provider.name,
                    status_words[line.provider.pk],
                    *(line.figures[name] for name in FIGURE_NAMES),
                    line.held,
                    line.held_fen,
                )
                for line in lines
            ],
        )
    totals = {name: sum(line.figures[name] for line in lines) for name in FIGURE_NAMES}
    totals |= {"held": sum(line.held for line in lines),
               "held_fen": sum(line.held_fen for line in lines)}  # fmt: skip
    return render(
        request,
        "care/settlement.html",
        {
            "month": month,
            "lines": [(line, status_words[line.provider.pk]) for line in lines],
            "totals": totals,
            "month_over": clock.today() > period_bounds(Cycle.MONTHLY, month)[1],
            "can_close": has_cap(request.user, Cap.CARE_REVIEW),
            "can_approve": has_cap(request.user, Cap.SETTLEMENT_APPROVE),
        },
    )


def _statement_words(statement: ProviderStatement | None) -> str:
    return statement.get_status_display() if statement else gettext("not closed yet")


def _statement_step(request: HttpRequest, month: dt.date) -> None:
    step, user = request.POST.get("step"), request.user
    statement_id = form_id(request.POST.get("statement"))
    if step == "close":
        run_and_report(
            request,
            lambda: services.provider_statement_close(
                actor=user, provider_id=form_id(request.POST.get("provider")), month=month
            ),
            gettext("The month is closed: its records are fixed in the statement."),
        )
    elif step == "approve":
        run_and_report(
            request,
            lambda: services.provider_statement_approve(actor=user, statement_id=statement_id),
            gettext("Approved: the amount owed is posted in the ledger."),
        )
    elif step == "pay":
        run_and_report(
            request,
            lambda: services.provider_statement_pay(
                actor=user, statement_id=statement_id, reference=request.POST.get("reference", "")
            ),
            gettext("Payment recorded."),
        )


@login_required
def statement(request: HttpRequest, statement_id: int) -> HttpResponseBase:
    """One provider's statement: its steps and every record in it (the Excel the same)."""
    _require(request, Cap.CARE_VIEW)
    try:
        found = selectors.statement_get(request.user, statement_id)
    except DomainError:
        raise Http404 from None
    orders = selectors.statement_orders(request.user, found)
    if request.GET.get("format") == "xlsx":
        starts = found.period.starts_on
        return xlsx_download(
            filename=f"上门服务结算单-{found.provider.name}-{starts:%Y%m}.xlsx",
            title=f"{found.provider.name} {found.period}上门服务结算单"
            f"（{found.get_status_display()}）",
            columns=[
                Column("服务日期", "date"),
                Column("订单号", "int"),
                Column("老人", width=10),
                Column("村（社区）", width=16),
                Column("服务项目", width=20),
                Column("数量", "int", total=True),
                Column("服务人员", width=10),
                Column("服务金额（元）", "yuan", total=True),
                Column("政府承担（元）", "yuan", total=True),
                Column("慈善承担（元）", "yuan", total=True),
                Column("老人自付（元）", "yuan", total=True),
                Column("补记", width=6),
            ],
            rows=[
                (
                    order.business_date,
                    order.pk,
                    mask_name(order.elder.name),
                    order.elder.residence.name,
                    order.item.name_zh,
                    order.quantity,
                    order.carer.name if order.carer else "",
                    order.price_fen,
                    order.government_fen,
                    order.charity_fen,
                    order.elder_fen,
                    "是" if order.business_date < starts else "",
                )
                for order in orders.iterator(chunk_size=2000)
            ],
        )
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "care/statement.html",
        {
            "statement": found,
            "page": page,
            "rows": [(order, mask_name(order.elder.name)) for order in page],
            "starts": found.period.starts_on,
        },
    )
