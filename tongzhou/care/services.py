"""Every write of the care services: the list's versions, entitlements, orders at the door.
Each takes the acting user, runs in one transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.bookings.selectors import door_of
from tongzhou.care import listio, rules
from tongzhou.care.facts import facts_for
from tongzhou.care.models import (
    ORDERED_DELIVERIES,
    Carer,
    Entitlement,
    EntitlementPurse,
    OrderSource,
    OrderStatus,
    Provenance,
    Provider,
    ProviderStatement,
    ServiceGroup,
    ServiceItem,
    ServiceListVersion,
    ServiceOrder,
    StatementStatus,
)
from tongzhou.core import clock, crypto
from tongzhou.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from tongzhou.core.money import split_by_basis_points
from tongzhou.elders.importer import ImportReport
from tongzhou.elders.models import Category, Elder
from tongzhou.geo.models import district_code
from tongzhou.geo.selectors import city_code, region_pk
from tongzhou.identity.face_services import face_challenge_for, face_verify
from tongzhou.identity.services import resolve_credential
from tongzhou.ledger.models import AccountKind, JournalKind
from tongzhou.ledger.services import account_for, account_open, post
from tongzhou.settlement.models import Cycle
from tongzhou.settlement.services import period_for


def care_settings() -> dict[str, int]:
    """The geofence round an elder's door and the photo size a record accepts."""
    defaults = {"FENCE_M": 200, "MAX_PHOTO_BYTES": 5 * 1024 * 1024, "WORST_ACCURACY_M": 150}
    return defaults | settings.TONGZHOU.get("CARE", {})


# ---------------------------------------------------------------- the list


@transaction.atomic
def service_list_load(
    *,
    actor: Any,
    name: str,
    valid_from: dt.date,
    groups: list[tuple[int, dict[str, str]]],
    items: list[tuple[int, dict[str, str]]],
    provenance: str = Provenance.BUREAU,
    note: str = "",
    allow_past: bool = False,
) -> tuple[ServiceListVersion | None, ImportReport]:
    """A new version from the rows of a workbook: the good rows are loaded, each bad row is
    reported. Versions start tomorrow or later (the shipped default alone is loaded as the
    first version, from the past)."""
    if not allow_past:
        require_cap(actor, Cap.CARE_LIST_EDIT, "制定养老服务清单", "set the service list")
        if valid_from <= clock.today():
            raise ValidationFailed(
                "care_list_must_start_later",
                "新版清单只能从明天或以后生效；已生效的清单不能修改。",
                "A new version must start tomorrow or later; a version in force cannot change.",
            )
    if ServiceListVersion.objects.filter(valid_from=valid_from).exists():
        raise ValidationFailed(
            "care_list_version_exists",
            "同一天已有一个清单版本。",
            "A version already starts that day.",
        )
    categories = dict(Category.objects.values_list("name_zh", "code"))
    parsed = listio.parse(groups, items, categories)
    report = ImportReport(total_rows=parsed.rows, errors=parsed.errors)
    if not parsed.groups or not parsed.items:
        report.imported = 0
        return None, report
    version = ServiceListVersion.objects.create(
        name=name[:80] or f"养老服务清单（{valid_from:%Y-%m-%d}起）",
        valid_from=valid_from,
        provenance=provenance,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    saved_groups = {
        row["code"]: ServiceGroup.objects.create(version=version, **row) for row in parsed.groups
    }
    for row in parsed.items:
        codes = row.pop("groups")
        item = ServiceItem.objects.create(version=version, **row)
        item.groups.set([saved_groups[code] for code in codes])
    report.imported = len(parsed.groups) + len(parsed.items)
    audit_record(
        actor=actor,
        action="care.list.load",
        target=version,
        after={
            "valid_from": valid_from.isoformat(),
            "groups": len(parsed.groups),
            "items": len(parsed.items),
            "rejected_rows": len(report.failed_rows),
        },
    )
    return version, report


def version_in_force(day: dt.date) -> ServiceListVersion | None:
    return ServiceListVersion.objects.filter(valid_from__lte=day).order_by("-valid_from").first()


@dataclass(frozen=True)
class CompiledList:
    version: ServiceListVersion
    groups: tuple[rules.GroupRule, ...]
    items: tuple[rules.ItemRule, ...]
    by_code: dict[str, ServiceItem]


def compiled(version: ServiceListVersion) -> CompiledList:
    groups = tuple(
        rules.GroupRule(
            code=g.code,
            name=g.name_zh,
            min_age=g.min_age,
            max_age=g.max_age,
            categories=tuple(g.categories),
            living=tuple(g.living),
            min_assessment_level=g.min_assessment_level,
            island_tiers=tuple(g.island_tiers),
        )
        for g in version.groups.all()
    )
    items = list(version.items.prefetch_related("groups"))
    return CompiledList(
        version=version,
        groups=groups,
        items=tuple(
            rules.ItemRule(
                code=i.code,
                groups=tuple(g.code for g in i.groups.all()),
                quantity=i.quantity,
                small_quantity=i.small_quantity,
                min_age=i.min_age,
                delivery=i.delivery,
                outer_delivery=i.outer_delivery,
                small_delivery=i.small_delivery,
            )
            for i in items
        ),
        by_code={i.code: i for i in items},
    )


# ---------------------------------------------------------------- entitlements


def entitlements_refresh(*, elder_ids: Iterable[int], day: dt.date, batch: int = 2000) -> int:
    """Bring the stored entitlements of these elders in line with their facts on `day`:
    what changed closes the day before and opens from `day`; what holds is left as it is.
    Returns how many rows were opened or closed. Not audited per row: it derives, from
    audited facts, what the rules say."""
    version = version_in_force(day)
    if version is None:
        return 0
    the_list = compiled(version)
    ids = list(elder_ids)
    changed = 0
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            changed += _refresh_batch(ids[start : start + batch], the_list, day)
    return changed


def _refresh_batch(ids: list[int], the_list: CompiledList, day: dt.date) -> int:
    facts = facts_for(ids)
    open_rows: dict[tuple[int, str], Entitlement] = {
        (row.elder_id, row.item_code): row
        for row in Entitlement.objects.filter(elder_id__in=ids, valid_to__isnull=True)
    }
    to_close: list[Entitlement] = []
    to_open: list[Entitlement] = []
    for elder_id in ids:
        elder_facts = facts.get(elder_id)
        wanted = (
            rules.entitlements_on(
                elder_facts, the_list.groups, the_list.items, day, the_list.version.valid_from
            )
            if elder_facts
            else []
        )
        wanted_codes = set()
        for entitled in wanted:
            wanted_codes.add(entitled.item)
            item = the_list.by_code[entitled.item]
            reasons = [reason.as_json() for reason in entitled.reasons]
            current = open_rows.get((elder_id, entitled.item))
            if current is not None and (
                current.item_id == item.pk
                and current.quantity == entitled.quantity
                and current.delivery == entitled.delivery
                and [r["group"] for r in current.reasons] == [r["group"] for r in reasons]
            ):
                continue
            if current is not None:
                to_close.append(current)
            to_open.append(
                Entitlement(
                    elder_id=elder_id,
                    item=item,
                    item_code=entitled.item,
                    quantity=entitled.quantity,
                    delivery=entitled.delivery,
                    valid_from=entitled.since if current is None else day,
                    reasons=reasons,
                )
            )
        for (owner, code), row in open_rows.items():
            if owner == elder_id and code not in wanted_codes:
                to_close.append(row)
    for row in to_close:
        # A row that opened today and no longer holds never held: it goes.
        if row.valid_from >= day:
            row.delete()
        else:
            Entitlement.objects.filter(pk=row.pk).update(valid_to=day - dt.timedelta(days=1))
    # A concurrent refresh of the same elder may have opened the same row first.
    Entitlement.objects.bulk_create(to_open, ignore_conflicts=True)
    return len(to_close) + len(to_open)


# ---------------------------------------------------------------- orders


class CareRefused(DomainError):
    def __init__(self, code: str, zh: str, en: str, status: int = 400) -> None:
        super().__init__(code=code, message_zh=zh, message_en=en, status=status)


def _elder_in_scope(actor: Any, elder: Elder) -> None:
    if not scope_for(actor).contains_path(elder.residence.path):
        raise NotFound("老年人", "elder")


ORDER_FIELDS = [
    "status",
    "provider",
    "carer",
    "window_start",
    "window_end",
    "quantity",
    "check_in_distance_m",
    "check_out_distance_m",
    "confirmed_by",
    "review_reasons",
]


@transaction.atomic
def order_create(
    *, actor: Any, elder: Elder, item_code: str, quantity: int, note: str = ""
) -> ServiceOrder:
    """An order for an item the elder is entitled to draws on this period's purse; an item
    they are not entitled to is a request they pay for themselves."""
    require_cap(actor, Cap.CARE_ORDER, "下服务订单", "order services")
    _elder_in_scope(actor, elder)
    today = clock.today()
    if elder.status != "active":
        raise CareRefused(
            "care_elder_inactive",
            "该老人不在册，不能下单。",
            "This elder is no longer on the register.",
        )
    if quantity < 1 or quantity > 100:
        raise ValidationFailed(
            "care_quantity_invalid", "数量应为 1 到 100。", "The quantity must be 1 to 100."
        )
    entitlements_refresh(elder_ids=[elder.pk], day=today)
    version = version_in_force(today)
    item = version.items.filter(code=item_code).first() if version else None
    if item is None:
        raise ValidationFailed(
            "care_item_unknown", "清单中没有该服务项目。", "The list in force has no such item."
        )
    if item.delivery not in ORDERED_DELIVERIES or item.kind == "meals":
        raise ValidationFailed(
            "care_item_not_ordered",
            "该项目不需要派单（补贴直接发放，助餐在幸福食堂办理）。",
            "This item is not ordered (allowances are paid; meals are booked at a canteen).",
        )
    entitlement = Entitlement.objects.filter(
        elder=elder, item_code=item_code, valid_to__isnull=True, valid_from__lte=today
    ).first()
    purse = None
    price = item.unit_price_fen * quantity
    if entitlement is not None:
        purse = _draw(elder, item, entitlement, quantity, today)
        shares = split_by_basis_points(
            price,
            {"government": item.government_bp, "charity": item.charity_bp, "elder": item.elder_bp},
        )
        source = OrderSource.ENTITLEMENT
    else:
        shares = {"government": 0, "charity": 0, "elder": price}
        source = OrderSource.REQUEST
    order = ServiceOrder.objects.create(
        elder=elder,
        item=item,
        purse=purse,
        source=source,
        quantity=quantity,
        note=note[:200],
        business_date=today,
        created_by=actor,
        price_fen=price,
        government_fen=shares["government"],
        charity_fen=shares["charity"],
        elder_fen=shares["elder"],
    )
    audit_record(
        actor=actor,
        action="care.order.create",
        target=order,
        after=snapshot(order, ["item", "quantity", "source", "price_fen"]),
        scope_path=elder.residence.path,
    )
    return order


def _draw(
    elder: Elder, item: ServiceItem, entitlement: Entitlement, quantity: int, day: dt.date
) -> EntitlementPurse:
    period = rules.period_id(item.period, day)
    purse, _ = EntitlementPurse.objects.get_or_create(
        elder=elder,
        item_code=item.code,
        period_id=period,
        defaults={"granted": entitlement.quantity},
    )
    purse = EntitlementPurse.objects.select_for_update().get(pk=purse.pk)
    if purse.left < quantity:
        raise Conflict(
            "care_entitlement_used_up",
            f"本期（{period}）“{item.name_zh}”剩余 {purse.left}{item.unit}，"
            f"不够 {quantity}{item.unit}。",
            f"Only {purse.left} {item.unit} of '{item.name_en}' left this period ({period}).",
        )
    try:
        with transaction.atomic():
            EntitlementPurse.objects.filter(pk=purse.pk).update(used=F("used") + quantity)
    except IntegrityError:  # a concurrent draw took the rest first
        raise Conflict(
            "care_entitlement_used_up", "本期额度已用完。", "Nothing is left this period."
        ) from None
    return purse


def _give_back(order: ServiceOrder) -> None:
    if order.purse_id is not None:
        EntitlementPurse.objects.filter(pk=order.purse_id).update(used=F("used") - order.quantity)


def _locked(order_id: int) -> ServiceOrder:
    order = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("elder__residence", "item", "carer__provider", "provider")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound("服务订单", "service order")
    return order


def _expect(order: ServiceOrder, *statuses: str) -> None:
    if order.status not in statuses:
        raise Conflict(
            "care_order_state",
            f"订单当前为“{order.get_status_display()}”，不能进行此操作。",
            f"The order is '{order.status}'; this step does not apply.",
        )


def _audit(actor: Any, order: ServiceOrder, action: str, before: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=order,
        before=before,
        after=snapshot(order, ORDER_FIELDS),
        scope_path=order.elder.residence.path,
    )


@transaction.atomic
def order_dispatch(*, actor: Any, order_id: int, provider: Provider) -> ServiceOrder:
    require_cap(actor, Cap.CARE_ORDER, "派单", "dispatch orders")
    order = _locked(order_id)
    _elder_in_scope(actor, order.elder)
    _expect(order, OrderStatus.REQUESTED, OrderStatus.DISPATCHED)
    if not provider.is_active or not order.elder.residence.path.startswith(provider.region.path):
        raise ValidationFailed(
            "care_provider_out_of_area",
            "该服务机构不服务这位老人所在的区域。",
            "This provider does not serve the elder's area.",
        )
    before = snapshot(order, ORDER_FIELDS)
    order.provider = provider
    order.carer = None
    order.status = OrderStatus.DISPATCHED
    order.save(update_fields=["provider", "carer", "status"])
    _audit(actor, order, "care.order.dispatch", before)
    return order


def carer_of(actor: Any) -> Carer:
    require_cap(actor, Cap.CARE_SERVE, "上门服务", "serve at the door")
    carer = Carer.objects.select_related("provider").filter(user=actor, is_active=True).first()
    if carer is None:
        raise PermissionDenied("上门服务", "serve at the door")
    return carer


@transaction.atomic
def order_accept(
    *, actor: Any, order_id: int, window_start: dt.datetime, window_end: dt.datetime
) -> ServiceOrder:
    """A carer of the provider takes the order (接单) for a time window; the door, the fence
    and the minimum time are fixed now, so later edits to the list do not move them."""
    carer = carer_of(actor)
    order = _locked(order_id)
    if order.provider_id != carer.provider_id:
        raise NotFound("服务订单", "service order")
    _expect(order, OrderStatus.DISPATCHED)
    if window_end <= window_start or timezone.localdate(window_start) < clock.today():
        raise ValidationFailed(
            "care_window_invalid",
            "请选择今天或以后、结束晚于开始的时间段。",
            "Choose a window from today on, ending after it starts.",
        )
    if carer.certificate_expires is not None and carer.certificate_expires < clock.today():
        raise CareRefused(
            "care_certificate_expired",
            "您的护理员证书已过期，请先续证。",
            "Your carer certificate has expired.",
            status=403,
        )
    before = snapshot(order, ORDER_FIELDS)
    lon, lat = door_of(order.elder)  # the point the delivery round uses
    order.carer = carer
    order.window_start, order.window_end = window_start, window_end
    order.door_lon, order.door_lat = lon, lat
    order.fence_m = care_settings()["FENCE_M"]
    order.min_minutes = order.item.min_minutes * order.quantity
    order.status = OrderStatus.ACCEPTED
    order.save()
    _audit(actor, order, "care.order.accept", before)
    return order


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine): exact enough for a fence of a few hundred metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Position:
    lon: float
    lat: float
    accuracy_m: float
    device_at: dt.datetime | None = None


def _check_position(position: Position | None) -> Position:
    if position is None or not (-180 <= position.lon <= 180 and -90 <= position.lat <= 90):
        raise ValidationFailed(
            "care_position_missing",
            "没有取得手机定位。请允许浏览器使用位置信息后再试。",
            "No position from the phone. Allow the browser to use your location and retry.",
        )
    return position


def _distance(order: ServiceOrder, position: Position) -> float | None:
    if order.door_lon is None or order.door_lat is None:
        return None
    return round(metres_between(order.door_lon, order.door_lat, position.lon, position.lat), 1)


def _own_order(actor: Any, order_id: int) -> ServiceOrder:
    carer = carer_of(actor)
    order = _locked(order_id)
    if order.carer_id != carer.pk:
        raise NotFound("服务订单", "service order")
    return order


@transaction.atomic
def order_check_in(*, actor: Any, order_id: int, position: Position | None) -> ServiceOrder:
    """签到: the server's time and the phone's position; how far from the door is kept, and
    a check-in outside the fence is recorded (and sent to review at the end), not refused."""
    order = _own_order(actor, order_id)
    _expect(order, OrderStatus.ACCEPTED)
    where = _check_position(position)
    before = snapshot(order, ORDER_FIELDS)
    order.check_in_at = clock.now()
    order.check_in_device_at = where.device_at
    order.check_in_lon, order.check_in_lat = where.lon, where.lat
    order.check_in_accuracy_m = where.accuracy_m
    order.check_in_distance_m = _distance(order, where)
    order.status = OrderStatus.IN_SERVICE
    order.save()
    _audit(actor, order, "care.order.check_in", before)
    return order


@transaction.atomic
def order_check_out(
    *, actor: Any, order_id: int, position: Position | None, photo: UploadedFile | None
) -> ServiceOrder:
    """签退 with a photo of the service; the photo's hash finds one used twice."""
    order = _own_order(actor, order_id)
    _expect(order, OrderStatus.IN_SERVICE)
    if order.check_out_at is not None:
        raise Conflict("care_order_state", "已经签退。", "Already checked out.")
    where = _check_position(position)
    if photo is None or photo.size == 0:
        raise ValidationFailed(
            "care_photo_missing",
            "请拍一张服务照片再签退。",
            "Take a photo of the service before checking out.",
        )
    if (photo.size or 0) > care_settings()["MAX_PHOTO_BYTES"]:
        raise ValidationFailed(
            "care_photo_too_large",
            "照片太大（最大 5 MB）。",
            "The photo is too large (5 MB at most).",
        )
    digest = hashlib.sha256()
    for chunk in photo.chunks():
        digest.update(chunk)
    before = snapshot(order, ORDER_FIELDS)
    order.check_out_at = clock.now()
    order.check_out_device_at = where.device_at
    order.check_out_lon, order.check_out_lat = where.lon, where.lat
    order.check_out_accuracy_m = where.accuracy_m
    order.check_out_distance_m = _distance(order, where)
    order.photo_sha256 = digest.hexdigest()
    order.photo.save(f"order-{order.pk}.jpg", photo, save=False)
    order.save()
    _audit(actor, order, "care.order.check_out", before)
    return order


def review_reasons(order: ServiceOrder) -> list[str]:
    """Why a record is not paid without a look (each a plain sentence for the reviewer)."""
    reasons = []
    fence, worst = order.fence_m, care_settings()["WORST_ACCURACY_M"]
    for label, distance, accuracy in (
        ("签到", order.check_in_distance_m, order.check_in_accuracy_m),
        ("签退", order.check_out_distance_m, order.check_out_accuracy_m),
    ):
        if distance is None:
            reasons.append(f"{label}时无法核对位置（老人住址没有坐标）")
        elif distance > fence:
            reasons.append(f"{label}位置距老人家 {distance:.0f} 米，超出 {fence} 米范围")
        elif accuracy is not None and accuracy > worst:
            reasons.append(f"{label}定位精度差（±{accuracy:.0f} 米）")
    if order.check_in_at and order.check_out_at:
        minutes = (order.check_out_at - order.check_in_at).total_seconds() / 60
        if minutes < order.min_minutes:
            reasons.append(f"服务时长 {minutes:.0f} 分钟，少于规定的 {order.min_minutes} 分钟")
    if order.photo_sha256 and (
        ServiceOrder.objects.filter(photo_sha256=order.photo_sha256).exclude(pk=order.pk).exists()
    ):
        reasons.append("服务照片与另一张订单的照片相同")
    if not order.confirmed_by:
        reasons.append("老人未确认")
    return reasons


def _finish(actor: Any, order: ServiceOrder, before: dict[str, Any], action: str) -> ServiceOrder:
    order.review_reasons = review_reasons(order)
    order.status = OrderStatus.REVIEW if order.review_reasons else OrderStatus.APPROVED
    order.save()
    _audit(actor, order, action, before)
    return order


def _confirmable(actor: Any, order_id: int) -> ServiceOrder:
    order = _own_order(actor, order_id)
    _expect(order, OrderStatus.IN_SERVICE)
    if order.check_out_at is None:
        raise Conflict(
            "care_order_not_out",
            "请先签退，再请老人确认。",
            "Check out first, then ask the elder to confirm.",
        )
    return order


def _confirmed(actor: Any, order: ServiceOrder, method: str) -> ServiceOrder:
    before = snapshot(order, ORDER_FIELDS)
    order.confirmed_by = method
    order.confirmed_at = clock.now()
    return _finish(actor, order, before, "care.order.confirm")


@transaction.atomic
def order_confirm(*, actor: Any, order_id: int, credential: str) -> ServiceOrder:
    """The elder confirms with the card or QR code they use at the canteen (typed, or the
    code read by the phone's camera); someone else's is refused and changes nothing."""
    order = _confirmable(actor, order_id)
    resolved = resolve_credential(credential.strip())
    if resolved.elder.pk != order.elder_id:
        raise Conflict(
            "care_confirm_other_elder",
            "这不是本单老人的卡或码。",
            "This card or code belongs to someone else.",
        )
    return _confirmed(actor, order, resolved.method)


def face_subject(actor: Any, order_id: int) -> str:
    """What a head-turn challenge on the carer's phone is bound to: this order, this carer."""
    return f"care-order:{order_id}:user:{actor.pk}"


def order_face_challenge(*, actor: Any, order_id: int) -> tuple[str, str]:
    """A head-turn challenge for the elder's face confirmation of this order."""
    with transaction.atomic():
        _confirmable(actor, order_id)
    return face_challenge_for(face_subject(actor, order_id))


def order_confirm_face(
    *, actor: Any, order_id: int, frames: list[bytes], challenge: str
) -> ServiceOrder:
    """The elder confirms with their face on the carer's phone: the frames pass the head
    turn and match the order's elder's own enrolment (one to one). The attempt is counted
    and audited whatever the outcome; the order changes only on a match."""
    with transaction.atomic():
        elder = _confirmable(actor, order_id).elder
    face_verify(
        actor=actor,
        elder=elder,
        subject=face_subject(actor, order_id),
        frames=frames,
        challenge=challenge,
    )
    with transaction.atomic():
        return _confirmed(actor, _confirmable(actor, order_id), "face")


@transaction.atomic
def order_finish_unconfirmed(*, actor: Any, order_id: int, why: str) -> ServiceOrder:
    """The elder could not confirm (asleep, unwell, no card): the record goes to review."""
    order = _own_order(actor, order_id)
    _expect(order, OrderStatus.IN_SERVICE)
    if order.check_out_at is None:
        raise Conflict("care_order_not_out", "请先签退。", "Check out first.")
    if not why.strip():
        raise ValidationFailed(
            "care_reason_missing",
            "请写明老人为什么不能确认。",
            "Say why the elder could not confirm.",
        )
    before = snapshot(order, ORDER_FIELDS)
    order.review_note = why.strip()[:200]
    return _finish(actor, order, before, "care.order.unconfirmed")


@transaction.atomic
def order_review(*, actor: Any, order_id: int, approve: bool, note: str) -> ServiceOrder:
    require_cap(actor, Cap.CARE_REVIEW, "审核服务记录", "review service records")
    order = _locked(order_id)
    _elder_in_scope(actor, order.elder)
    _expect(order, OrderStatus.REVIEW)
    if not note.strip():
        raise ValidationFailed("care_reason_missing", "请写明审核意见。", "Write the reason.")
    before = snapshot(order, ORDER_FIELDS)
    order.status = OrderStatus.APPROVED if approve else OrderStatus.REJECTED
    order.reviewed_by, order.reviewed_at = actor, clock.now()
    order.review_note = note.strip()[:200]
    if not approve:
        _give_back(order)
    order.save()
    _audit(actor, order, "care.order.review", before)
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order_id: int, why: str) -> ServiceOrder:
    require_cap(actor, Cap.CARE_ORDER, "取消服务订单", "cancel service orders")
    order = _locked(order_id)
    _elder_in_scope(actor, order.elder)
    _expect(order, OrderStatus.REQUESTED, OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
    if not why.strip():
        raise ValidationFailed("care_reason_missing", "请写明取消原因。", "Say why.")
    before = snapshot(order, ORDER_FIELDS)
    order.status = OrderStatus.CANCELLED
    order.review_note = why.strip()[:200]
    _give_back(order)
    order.save()
    _audit(actor, order, "care.order.cancel", before)
    return order


@transaction.atomic
def order_callback(*, actor: Any, order_id: int, satisfaction: int, note: str) -> ServiceOrder:
    """A sampled phone call back to the elder: how satisfied, in their words."""
    require_cap(actor, Cap.CARE_ORDER, "电话回访", "call back")
    order = _locked(order_id)
    _elder_in_scope(actor, order.elder)
    _expect(order, OrderStatus.APPROVED, OrderStatus.REVIEW)
    if satisfaction not in range(1, 6):
        raise ValidationFailed(
            "care_satisfaction_invalid", "满意度为 1 到 5。", "Satisfaction is 1 to 5."
        )
    before = snapshot(order, ORDER_FIELDS)
    order.satisfaction, order.callback_note = satisfaction, note.strip()[:200]
    order.save(update_fields=["satisfaction", "callback_note"])
    _audit(actor, order, "care.order.callback", before)
    return order


@dataclass(frozen=True)
class DoorLinks:
    navigate: str
    elder_phone: str
    elder_phone_masked: str


def door_links(order: ServiceOrder) -> DoorLinks:
    """For the carer of the order only (the page asks `order_get` first): the way to the
    door and the elder's phone."""
    elder = order.elder
    lon, lat = order.door_lon or elder.residence.lon, order.door_lat or elder.residence.lat
    return DoorLinks(
        navigate=f"https://uri.amap.com/navigation?to={lon:.6f},{lat:.6f},"
        f"{quote(elder.residence.name)}&mode=walk&coordinate=wgs84&callnative=1",
        elder_phone=crypto.decrypt(elder.phone_encrypted) if elder.phone_encrypted else "",
        elder_phone_masked=elder.phone_masked,
    )


# ---------------------------------------------------------------- provider statements
# A provider is paid by the month from its approved records: the district closes the month
# (the records are then fixed in the statement), the city approves it (the government's and
# charity's shares are then posted in the ledger as owed to the provider) and records the
# payment. The elder's own share is the provider's to collect at the door: it is shown, never
# posted.

FIGURES = {
    "orders": Count("pk"),
    "adjustments": Count("pk", filter=Q(business_date__lt=F("statement__period__starts_on"))),
    "price_fen": Sum("price_fen", default=0),
    "government_fen": Sum("government_fen", default=0),
    "charity_fen": Sum("charity_fen", default=0),
    "elder_fen": Sum("elder_fen", default=0),
}


def statement_totals(orders: QuerySet[ServiceOrder]) -> dict[str, int]:
    """A statement's figures from its records; what the funds owe is `payable_fen`."""
    totals = orders.order_by().aggregate(**FIGURES)
    return totals | {"payable_fen": totals["government_fen"] + totals["charity_fen"]}


def _statement_audit(actor: Any, statement: ProviderStatement, action: str, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=statement,
        after={"status": statement.status, **after},
        scope_path=statement.provider.region.path,
    )


@transaction.atomic
def provider_statement_close(*, actor: Any, provider_id: int, month: dt.date) -> ProviderStatement:
    """Fix the provider's approved records dated up to the month's end and not yet settled
    (an earlier month's record approved late comes in as an adjustment)."""
    require_cap(actor, Cap.CARE_REVIEW, "核定服务机构月结算", "close a provider's month")
    provider = (
        Provider.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=provider_id)
        .first()
    )
    if provider is None or not scope_for(actor).contains_path(provider.region.path):
        raise NotFound("服务机构", "service provider")
    period = period_for(Cycle.MONTHLY, month)
    if clock.today() <= period.ends_on:
        raise Conflict(
            "period_not_over",
            f"{period}尚未结束，结束后才能核定。",
            "The month is not over yet.",
        )
    if ProviderStatement.objects.filter(period=period, provider=provider).exists():
        raise Conflict(
            "care_statement_closed",
            f"{provider.name}{period}的结算已核定。",
            "This provider's month is already closed.",
        )
    pending = ServiceOrder.objects.filter(
        provider=provider,
        status=OrderStatus.APPROVED,
        statement__isnull=True,
        business_date__lte=period.ends_on,
    )
    earliest = pending.order_by("business_date").values_list("business_date", flat=True).first()
    if earliest is not None and earliest < period.starts_on:
        earlier = period_for(Cycle.MONTHLY, earliest)
        if not ProviderStatement.objects.filter(period=earlier, provider=provider).exists():
            raise Conflict(
                "earlier_statement_open",
                f"请先核定{earlier}的结算。",
                f"Close {earlier.starts_on:%Y-%m} first.",
            )
    statement = ProviderStatement.objects.create(
        period=period, provider=provider, closed_at=clock.now(), closed_by=actor
    )
    fixed = pending.update(statement=statement)
    statement.totals = statement_totals(statement.orders.all())
    statement.save(update_fields=["totals"])
    _statement_audit(actor, statement, "care.statement.close", orders=fixed,
                     payable_fen=statement.totals["payable_fen"])  # fmt: skip
    return statement


def _statement_locked(actor: Any, statement_id: int, expected: str) -> ProviderStatement:
    statement = (
        ProviderStatement.objects.select_for_update(of=("self",))
        .select_related("provider__region", "period")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None or not scope_for(actor).contains_path(statement.provider.region.path):
        raise NotFound("结算单", "statement")
    if statement.status != expected:
        raise Conflict(
            "statement_wrong_step",
            f"结算单当前状态为“{statement.get_status_display()}”，不能进行此操作。",
            f"The statement is '{statement.status}'; this step does not apply.",
        )
    return statement


def _provider_account(provider: Provider) -> Any:
    if provider.account_id is None:
        provider.account = account_open(AccountKind.PROVIDER_RECEIVABLE)
        provider.save(update_fields=["account"])
    return provider.account


@transaction.atomic
def provider_statement_approve(*, actor: Any, statement_id: int) -> ProviderStatement:
    """The city approves: each district fund owes the provider its elders' government share
    and the city's charity fund the charity share, in one journal."""
    require_cap(actor, Cap.SETTLEMENT_APPROVE, "批准结算单", "approve statements")
    statement = _statement_locked(actor, statement_id, StatementStatus.CLOSED)
    per_district: dict[str, int] = {}
    for path, fen in statement.orders.filter(government_fen__gt=0).values_list(
        "elder__residence__path", "government_fen"
    ):
        code = district_code(path)
        per_district[code] = per_district.get(code, 0) + fen
    charity = statement.totals["charity_fen"]
    payable = sum(per_district.values()) + charity
    if payable:
        lines = [(_provider_account(statement.provider), payable)]
        lines += [
            (account_for(AccountKind.DISTRICT_FUND, region_id=region_pk(code)), -fen)
            for code, fen in sorted(per_district.items())
        ]
        if charity:
            city = region_pk(city_code())
            lines.append((account_for(AccountKind.CHARITY_FUND, region_id=city), -charity))
        statement.journal = post(
            kind=JournalKind.SERVICE,
            business_date=clock.today(),
            lines=lines,
            memo=f"上门服务结算 {statement.period} {statement.provider.name}"[:120],
        )
    statement.status = StatementStatus.APPROVED
    statement.approved_at, statement.approved_by = clock.now(), actor
    statement.save()
    _statement_audit(actor, statement, "care.statement.approve", payable_fen=payable)
    return statement


@transaction.atomic
def provider_statement_pay(*, actor: Any, statement_id: int, reference: str) -> ProviderStatement:
    require_cap(actor, Cap.SETTLEMENT_APPROVE, "登记付款", "record payments")
    if not reference.strip():
        raise ValidationFailed(
            "payment_reference_required", "请填写付款凭证号。", "Give the payment reference."
        )
    statement = _statement_locked(actor, statement_id, StatementStatus.APPROVED)
    statement.status = StatementStatus.PAID
    statement.paid_at, statement.paid_by = clock.now(), actor
    statement.payment_reference = reference.strip()[:60]
    statement.save()
    _statement_audit(actor, statement, "care.statement.pay", reference=statement.payment_reference)
    return statement
