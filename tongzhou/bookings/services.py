"""Booking meals, planning deliveries, recording proof, closing wellness alerts.

Who books: staff with `booking.edit` inside their area (a community worker for the elders of
the village), or the elder and linked family through the elder's page (an access grant). A
meal on day D can be booked, cancelled or paused until the canteen's cut-off (e.g. 16:00 on
D - 1); after that it is the kitchen's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongzhou.access.actors import ElderDelegate
from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.audit.services import audit_record
from tongzhou.bookings import routing
from tongzhou.bookings.models import (
    WEEKDAY_DIGITS,
    AlertOutcome,
    Booking,
    BookingMode,
    BookingPause,
    BookingPlan,
    BookingStatus,
    DeliveryRun,
    Diet,
    MealProfile,
    WellnessAlert,
)
from tongzhou.bookings.selectors import (
    home_point,
    occurrences,
    plan_runs_on,
    require_canteen_in_scope,
)
from tongzhou.canteens.models import Canteen, CanteenStatus, MealSession
from tongzhou.canteens.services import DELIVERY_TERMINAL, service_terminal
from tongzhou.core import clock, crypto
from tongzhou.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tongzhou.core.masking import mask_name, mask_phone
from tongzhou.core.notify import Message, notify
from tongzhou.elders.ages import age_on
from tongzhou.elders.models import Elder, ElderStatus, LivingArrangement
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.elders.services import normalise_phone
from tongzhou.identity.services import Resolved
from tongzhou.meals.models import SESSION_CHOICES, Meal
from tongzhou.meals.services import CheckoutRequest, Line, sell_to_known_elder
from tongzhou.subsidies.selectors import policy_in_force
from tongzhou.subsidies.services import elder_facts

MAX_PHOTO_BYTES = 2_000_000


def first_open_day(canteen: Canteen) -> dt.date:
    """The first day whose cut-off has not passed."""
    day = clock.today()
    while clock.now() >= canteen.booking_closes_at(day):
        day += dt.timedelta(days=1)
    return day


def _require_open(canteen: Canteen, day: dt.date) -> None:
    cutoff = canteen.booking_closes_at(day)
    if clock.now() >= cutoff:
        local = timezone.localtime(cutoff)
        raise Conflict(
            "booking_closed",
            f"{day:%m月%d日}的预订已于{local:%m月%d日 %H:%M}截止，请联系食堂。",
            f"Bookings for {day:%d %b} closed at {local:%d %b %H:%M}; please call the canteen.",
            cutoff=local.isoformat(),
        )


def actor_label(actor: Any) -> str:
    """Who booked, as shown to the canteen: a staff account, or the elder's page."""
    if isinstance(actor, ElderDelegate):
        return actor.label[:80]
    return actor.get_username()[:80]


def _require_may_book(actor: Any, elder: Elder) -> None:
    """The elder's own page (an access grant) or staff whose area holds the elder."""
    if isinstance(actor, ElderDelegate):
        if actor.elder_id != elder.pk:
            raise NotFound("老年人", "elder")
        return
    require_cap(actor, Cap.BOOKING_EDIT, "预订餐食", "book meals")
    require_elder_in_scope(actor=actor, elder=elder)


def _audit(actor: Any, action: str, target: Any, elder: Elder, after: dict[str, Any]) -> None:
    delegate = isinstance(actor, ElderDelegate)
    audit_record(
        actor=None if delegate else actor,
        actor_label=actor.audit_label if delegate else None,
        action=action,
        target=target,
        after=after,
        scope_path=elder.residence.path,
    )


def delivery_refusal(elder: Elder, canteen: Canteen, day: dt.date) -> DomainError | None:
    """Why this elder cannot have meals delivered from this canteen, or None.

    Who qualifies is policy data: the policy's categories, or elders of at least its age who
    live alone (高龄独居)."""
    if not canteen.delivers:
        return Conflict(
            "canteen_does_not_deliver",
            "该食堂不提供送餐服务。",
            "This canteen does not deliver meals.",
        )
    facts = elder_facts(elder, day)
    policy = policy_in_force(district_code=facts.district_code, day=day).policy
    if facts.categories & set(policy.delivery_categories):
        return None
    alone = (
        elder.living_arrangement == LivingArrangement.ALONE or "living_alone" in facts.categories
    )
    min_age = policy.delivery_min_age_alone
    if alone and min_age is not None and age_on(elder.birth_date, day) >= min_age:
        return None
    return Conflict(
        "delivery_not_eligible",
        "按现行政策，该老人不在送餐服务对象范围内（失能、特困或高龄独居等）。",
        "Under the policy in force this elder does not qualify for home delivery.",
    )


def _check_bookable(elder: Elder, canteen: Canteen, day: dt.date, session: str, mode: str) -> None:
    if elder.status != ElderStatus.ACTIVE:
        raise Conflict(
            "elder_inactive", "该老人已不在册，不能预订。", "This elder is no longer active."
        )
    if canteen.status != CanteenStatus.OPEN:
        raise Conflict("canteen_not_open", "该食堂目前未营业。", "This canteen is not open.")
    if mode not in BookingMode.values:
        raise ValidationFailed("mode_invalid", "用餐方式不正确。", "Unknown booking mode.")
    if not MealSession.objects.filter(canteen=canteen, kind=session).exists():
        raise ValidationFailed(
            "session_not_served", "该食堂不供应这一餐。", "This canteen does not serve that meal."
        )
    if mode == BookingMode.DELIVERY and (refusal := delivery_refusal(elder, canteen, day)):
        raise refusal


def _already_booked(day: dt.date) -> DomainError:
    return Conflict(
        "already_booked",
        f"该老人{day:%m月%d日}这一餐已有预订。",
        f"This elder already has a booking for that meal on {day:%d %b}.",
    )


@transaction.atomic
def booking_create(
    *, actor: Any, elder: Elder, canteen: Canteen, day: dt.date, session: str, mode: str
) -> Booking:
    _require_may_book(actor, elder)
    _check_bookable(elder, canteen, day, session, mode)
    _require_open(canteen, day)
    # Serialise this elder's bookings: the unique constraint keeps one per meal, the lock
    # keeps a plan's day and a one-off booking from both being made.
    Elder.objects.select_for_update().filter(pk=elder.pk).first()
    if plan_runs_on(elder.pk, day, session):
        raise _already_booked(day)
    booking = Booking.objects.filter(elder=elder, date=day, session=session).first()
    if booking is not None and booking.status != BookingStatus.CANCELLED:
        raise _already_booked(day)
    if booking is None:
        booking = Booking(elder=elder, date=day, session=session)
    booking.canteen, booking.mode, booking.plan = canteen, mode, None
    booking.status, booking.cancelled_at = BookingStatus.BOOKED, None
    booking.booked_by = actor_label(actor)
    booking.save()
    _audit(
        actor,
        "booking.create",
        booking,
        elder,
        {"canteen": canteen.code, "date": day.isoformat(), "session": session, "mode": mode},
    )
    return booking


@transaction.atomic
def booking_cancel(*, actor: Any, elder: Elder, day: dt.date, session: str) -> Booking:
    """Cancel one meal, whether booked on its own or as a day of a standing booking."""
    Elder.objects.select_for_update().filter(pk=elder.pk).first()
    booking = (
        Booking.objects.select_related("canteen")
        .filter(elder=elder, date=day, session=session)
        .first()
    )
    plan = plan_runs_on(elder.pk, day, session) if booking is None else None
    if (booking is None or booking.status != BookingStatus.BOOKED) and plan is None:
        raise NotFound("预订", "booking")
    canteen = booking.canteen if booking is not None else plan.canteen  # type: ignore[union-attr]
    _require_may_book(actor, elder)
    _require_open(canteen, day)
    if booking is None:
        assert plan is not None
        booking = plan.booking_on(day)
    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, clock.now()
    booking.save()
    _audit(actor, "booking.cancel", booking, elder, {"date": day.isoformat(), "session": session})
    return booking


def _weekdays(value: str) -> str:
    digits = "".join(sorted(set(value.replace(",", "").replace(" ", ""))))
    if not digits or any(d not in WEEKDAY_DIGITS for d in digits):
        raise ValidationFailed(
            "weekdays_invalid",
            "请选择星期几（周一为1）。",
            "Choose the weekdays (Monday = 1).",
        )
    return digits


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    elder: Elder,
    canteen: Canteen,
    session: str,
    mode: str,
    weekdays: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> BookingPlan:
    _require_may_book(actor, elder)
    _check_bookable(elder, canteen, starts_on, session, mode)
    _require_open(canteen, starts_on)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed(
            "range_invalid", "结束日期早于开始日期。", "The end is before the start."
        )
    Elder.objects.select_for_update().filter(pk=elder.pk).first()
    overlapping = BookingPlan.objects.filter(elder=elder, session=session).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on)
    )
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise Conflict(
            "plan_overlaps",
            "该老人这一餐已有长期预订，请先结束原预订。",
            "This elder already has a standing booking for that meal; end it first.",
        )
    plan = BookingPlan.objects.create(
        elder=elder,
        canteen=canteen,
        session=session,
        mode=mode,
        weekdays=_weekdays(weekdays),
        starts_on=starts_on,
        ends_on=ends_on,
        booked_by=actor_label(actor),
    )
    _audit(
        actor,
        "booking.plan_create",
        plan,
        elder,
        {
            "canteen": canteen.code,
            "session": session,
            "weekdays": plan.weekdays,
            "from": starts_on.isoformat(),
            "until": ends_on.isoformat() if ends_on else None,
        },
    )
    return plan


def _plan_locked(actor: Any, plan_id: int) -> BookingPlan:
    plan = (
        BookingPlan.objects.select_for_update()
        .select_related("elder__residence", "canteen")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise NotFound("长期预订", "standing booking")
    _require_may_book(actor, plan.elder)
    return plan


@transaction.atomic
def plan_pause(
    *, actor: Any, plan_id: int, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> BookingPause:
    """Skip days (a hospital stay); the plan runs again by itself after `ends_on`."""
    plan = _plan_locked(actor, plan_id)
    if ends_on < starts_on:
        raise ValidationFailed(
            "range_invalid", "结束日期早于开始日期。", "The end is before the start."
        )
    _require_open(plan.canteen, starts_on)
    pause = BookingPause.objects.create(
        plan=plan, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()[:120]
    )
    _audit(
        actor,
        "booking.plan_pause",
        plan,
        plan.elder,
        {"from": starts_on.isoformat(), "until": ends_on.isoformat(), "reason": pause.reason},
    )
    return pause


@transaction.atomic
def plan_end(*, actor: Any, plan_id: int, last_day: dt.date) -> BookingPlan:
    plan = _plan_locked(actor, plan_id)
    first = first_open_day(plan.canteen)
    if last_day < first - dt.timedelta(days=1):
        raise Conflict(
            "booking_closed",
            f"{first:%m月%d日}之前的餐食已截止，最早可从该日停止。",
            f"Meals before {first:%d %b} are past their cut-off; the plan can end from then.",
        )
    plan.ends_on = max(last_day, plan.starts_on)
    plan.save(update_fields=["ends_on"])
    _audit(actor, "booking.plan_end", plan, plan.elder, {"until": plan.ends_on.isoformat()})
    return plan


@transaction.atomic
def profile_save(
    *,
    actor: Any,
    elder: Elder,
    diets: Sequence[str],
    allergies: str = "",
    home: tuple[float, float] | None = None,
    door_note: str = "",
    contact_name: str = "",
    contact_phone: str | None = None,
) -> MealProfile:
    """Save what the kitchen and the courier need; `contact_phone` None keeps the stored
    number (it is never shown in full to be typed again), "" removes it."""
    require_cap(actor, Cap.ELDER_EDIT, "修改用餐档案", "edit meal profiles")
    require_elder_in_scope(actor=actor, elder=elder)
    unknown = set(diets) - set(Diet.values)
    if unknown:
        raise ValidationFailed(
            "diet_invalid", "饮食类别不正确。", f"Unknown diets: {sorted(unknown)}."
        )
    profile, _created = MealProfile.objects.get_or_create(elder=elder)
    profile.diets = sorted(set(diets))
    profile.allergies = allergies.strip()[:120]
    profile.home_lon, profile.home_lat = home if home else (None, None)
    profile.door_note = door_note.strip()[:120]
    profile.contact_name = contact_name.strip()[:40]
    if contact_phone is not None:
        phone = normalise_phone(contact_phone)
        profile.contact_phone_encrypted = crypto.encrypt(phone) if phone else ""
        profile.contact_phone_masked = mask_phone(phone)
    profile.save()
    _audit(
        actor,
        "booking.profile_save",
        profile,
        elder,
        {
            "diets": profile.diets,
            "allergies": profile.allergies,
            "home_set": home is not None,
            "contact": profile.contact_name,
            "contact_phone": profile.contact_phone_masked,
        },
    )
    return profile


# --- delivery -------------------------------------------------------------------------


def materialise(canteen: Canteen, day: dt.date, session: str) -> int:
    """Once the cut-off has passed, a standing booking's day becomes a row of its own (for
    the route and the proof). Idempotent: rows already there are kept."""
    rows = [plan.booking_on(day) for plan in occurrences(canteen, day, session)]
    Booking.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def delivery_plan(
    *, actor: Any, canteen: Canteen, day: dt.date, session: str, couriers: Sequence[Any]
) -> list[DeliveryRun]:
    """Share the session's delivery orders among couriers and order each share into a route.
    Done after the cut-off (the list is final); done again as long as nothing is delivered."""
    require_canteen_in_scope(actor, canteen.pk, Cap.DELIVERY_PLAN, "安排送餐", "plan deliveries")
    if clock.now() < canteen.booking_closes_at(day):
        raise Conflict(
            "booking_still_open",
            "预订尚未截止，截止后再安排送餐路线。",
            "Bookings are still open; plan the routes after the cut-off.",
        )
    courier_ids = sorted({c.pk for c in couriers})
    valid = User.objects.filter(
        pk__in=courier_ids,
        canteen=canteen,
        is_active=True,
        role__in=[Role.DELIVERY_VOLUNTEER, Role.CANTEEN_MANAGER],
    ).order_by("pk")
    if not courier_ids or len(valid) != len(courier_ids):
        raise ValidationFailed(
            "courier_invalid",
            "请选择本食堂的送餐员。",
            "Choose delivery volunteers of this canteen.",
        )
    materialise(canteen, day, session)
    orders = list(
        Booking.objects.select_for_update(of=("self",))
        .filter(canteen=canteen, date=day, session=session, mode=BookingMode.DELIVERY)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("elder__residence", "elder__meal_profile")
        .order_by("pk")
    )
    if any(order.status != BookingStatus.BOOKED for order in orders):
        raise Conflict(
            "delivery_started",
            "已有送达记录，不能重新安排路线。",
            "Deliveries have been recorded; the routes can no longer be changed.",
        )
    depot = (canteen.lon, canteen.lat)
    whole, _length = routing.tour(depot, [home_point(order) for order in orders])
    DeliveryRun.objects.filter(canteen=canteen, date=day, session=session).exclude(
        courier_id__in=courier_ids
    ).delete()
    runs = []
    for courier, share in zip(valid, routing.split_tour(whole, len(valid)), strict=False):
        stops = [orders[index] for index in share]
        order, length = routing.tour(depot, [home_point(stop) for stop in stops])
        run, _created = DeliveryRun.objects.update_or_create(
            canteen=canteen,
            date=day,
            session=session,
            courier=courier,
            defaults={"distance_m": length, "computed_at": clock.now()},
        )
        for position, index in enumerate(order, start=1):
            stops[index].run, stops[index].stop_order = run, position
        Booking.objects.bulk_update(stops, ["run", "stop_order"])
        runs.append(run)
    audit_record(
        actor=actor,
        action="delivery.plan",
        target=canteen,
        after={
            "date": day.isoformat(),
            "session": session,
            "orders": len(orders),
            "couriers": [run.courier_id for run in runs],
        },
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return runs


def _stop_locked(actor: Any, booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("run", "canteen__village", "elder__residence")
        .filter(pk=booking_id, mode=BookingMode.DELIVERY)
        .first()
    )
    if booking is None or booking.run is None:
        raise NotFound("送餐单", "delivery order")
    require_cap(actor, Cap.DELIVERY_RECORD, "记录送餐", "record deliveries")
    scope = scope_for(actor)
    own_run = booking.run.courier_id == actor.pk
    manager = scope.everything or (
        actor.role == Role.CANTEEN_MANAGER and scope.canteen_id == booking.canteen_id
    )
    if not (own_run or manager):
        raise NotFound("送餐单", "delivery order")
    if booking.status != BookingStatus.BOOKED:
        raise Conflict(
            "delivery_already_recorded", "这一单已经记录过。", "This delivery is already recorded."
        )
    return booking


@transaction.atomic
def _charge_delivered(booking: Booking) -> tuple[Meal | None, str]:
    """Charge a booked meal as it is handed over at the door: the canteen's booked-meal
    price plus the policy's delivery fee, subsidised as at the counter. Runs inside the
    delivery's transaction; a refusal (say, a short purse) is returned, not raised, because
    the meal has been delivered either way."""
    canteen = booking.canteen
    request = CheckoutRequest(
        card="",
        session=booking.session,
        lines=[Line(booked_meal=True, label="送餐到户")],
        client_receipt_no=f"B{booking.pk}",
        accept_full_price=True,
        delivery=True,
    )
    try:
        with transaction.atomic():
            sold = sell_to_known_elder(
                terminal=service_terminal(canteen, DELIVERY_TERMINAL),
                request=request,
                resolved=Resolved(booking.elder, "booking"),
            )
    except DomainError as refusal:
        return None, refusal.code
    return sold.meal(), ""


@transaction.atomic
def delivery_done(*, actor: Any, booking_id: int, photo: bytes | None = None) -> Booking:
    """Proof of delivery (time, who, optional photo); the meal is charged as it is handed
    over, through the same checkout as the counter (policy, caps, purses, delivery fee)."""
    booking = _stop_locked(actor, booking_id)
    if photo is not None and len(photo) > MAX_PHOTO_BYTES:
        raise ValidationFailed(
            "photo_too_large", "照片不能超过2MB。", "The photo must be under 2 MB."
        )
    booking.status = BookingStatus.DELIVERED
    booking.delivered_at, booking.delivered_by = clock.now(), actor
    booking.proof_photo_encrypted = crypto.encrypt_bytes(photo) if photo else None
    booking.meal, charge_error = _charge_delivered(booking)
    booking.save()
    audit_record(
        actor=actor,
        action="delivery.done",
        target=booking,
        after={
            "photo": photo is not None,
            "receipt_no": booking.meal.receipt_no if booking.meal else None,
            "charge_error": charge_error,
        },
        scope_path=booking.elder.residence.path,
        canteen_id=booking.canteen_id,
    )
    return booking


@transaction.atomic
def delivery_no_answer(*, actor: Any, booking_id: int, note: str = "") -> WellnessAlert:
    """Nobody answered the door: nothing is charged, and the village's community worker
    gets a wellness alert to follow up and close."""
    booking = _stop_locked(actor, booking_id)
    booking.status = BookingStatus.NOT_DELIVERED
    booking.delivered_at, booking.delivered_by = clock.now(), actor
    booking.save()
    alert = WellnessAlert.objects.create(
        booking=booking,
        elder=booking.elder,
        village=booking.elder.residence,
        raised_at=booking.delivered_at,
        raised_by=actor,
        note=note.strip()[:200],
    )
    audit_record(
        actor=actor,
        action="delivery.no_answer",
        target=alert,
        after={"booking": booking.pk},
        scope_path=booking.elder.residence.path,
        canteen_id=booking.canteen_id,
    )
    _tell_village(alert, withdrawn=False)
    return alert


# A courier who tapped "nobody answered" by mistake may take it back for this long.
NO_ANSWER_UNDO = dt.timedelta(minutes=5)


@transaction.atomic
def delivery_no_answer_undo(*, actor: Any, booking_id: int) -> Booking:
    """Take back a "nobody answered" tapped by mistake, within minutes and before the
    community worker has closed the alert: the stop is open again, the alert withdrawn."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("elder__residence")
        .filter(pk=booking_id, status=BookingStatus.NOT_DELIVERED, delivered_by=actor)
        .first()
    )
    alert = WellnessAlert.objects.filter(booking_id=booking_id).first() if booking else None
    if booking is None or alert is None:
        raise NotFound("送餐单", "delivery order")
    if alert.closed_at is not None or clock.now() - alert.raised_at > NO_ANSWER_UNDO:
        raise Conflict(
            "undo_too_late",
            "已超过可撤回的时间，或社区已处理这条提醒；请直接联系社区工作人员。",
            "Too late to take it back: please call the community worker.",
        )
    booking.status, booking.delivered_at, booking.delivered_by = BookingStatus.BOOKED, None, None
    booking.save()
    alert_id = alert.pk
    alert.delete()
    audit_record(
        actor=actor,
        action="delivery.no_answer_undo",
        target=booking,
        after={"alert": alert_id, "withdrawn": True},
        scope_path=booking.elder.residence.path,
        canteen_id=booking.canteen_id,
    )
    _tell_village(alert, withdrawn=True)
    return booking


def _tell_village(alert: WellnessAlert, *, withdrawn: bool) -> None:
    """The village's community workers hear of the alert (or that it was withdrawn) at once."""
    elder = mask_name(alert.elder.name)
    when = timezone.localtime(alert.raised_at)
    text = (
        f"【同舟】{when:%H:%M}送餐时{elder}家无人应答的提醒已由送餐员撤回（误点）。"
        if withdrawn
        else f"【同舟】{when:%H:%M}为{elder}送餐无人应答，请尽快联系或上门查看，并在平台登记结果。"
    )
    workers = User.objects.filter(
        role=Role.VILLAGE_WORKER, region_id=alert.village_id, is_active=True
    )
    notify([
        Message(to_name=str(worker), to_phone=worker.phone, text=text,
                kind="wellness_alert_withdrawn" if withdrawn else "wellness_alert",
                link="/alerts/")
        for worker in workers
    ])  # fmt: skip


@transaction.atomic
def alert_close(*, actor: Any, alert_id: int, outcome: str, note: str) -> WellnessAlert:
    require_cap(actor, Cap.ALERT_CLOSE, "处理关爱提醒", "close wellness alerts")
    alert = (
        WellnessAlert.objects.select_for_update()
        .filter(scope_for(actor).region_q("village__path"), pk=alert_id)
        .select_related("village")
        .first()
    )
    if alert is None:
        raise NotFound("关爱提醒", "wellness alert")
    if alert.closed_at is not None:
        raise Conflict("alert_already_closed", "该提醒已处理。", "This alert is already closed.")
    if outcome not in AlertOutcome.values or not note.strip():
        raise ValidationFailed(
            "alert_outcome_required",
            "请选择处理结果并填写情况说明。",
            "Choose an outcome and describe what was found.",
        )
    alert.outcome, alert.note = outcome, note.strip()[:200]
    alert.closed_at, alert.closed_by = clock.now(), actor
    alert.save()
    audit_record(
        actor=actor,
        action="alert.close",
        target=alert,
        after={"outcome": outcome, "note": alert.note},
        scope_path=alert.village.path,
    )
    return alert


def proofs_reencrypt(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Re-encrypt the next batch of delivery proof photos under the first field key."""
    rows = list(
        Booking.objects.filter(pk__gt=after_pk, proof_photo_encrypted__isnull=False)
        .order_by("pk")
        .only("proof_photo_encrypted")[:batch_size]
    )
    changed = crypto.rotate_rows(rows, byte_fields=("proof_photo_encrypted",))
    with transaction.atomic():
        Booking.objects.bulk_update(changed, ["proof_photo_encrypted"])
    return len(changed), rows[-1].pk if rows else None


@dataclass(frozen=True)
class Moved:
    """What moving a canteen's bookings did: the elders now booked at the new canteen, and
    those who could not be moved, each with why (a worker arranges them by hand)."""

    elders: list[Elder]
    not_moved: list[tuple[Elder, str]]


@transaction.atomic
def bookings_move(
    *, actor: Any, from_canteen: Canteen, to_canteen: Canteen, from_day: dt.date
) -> Moved:
    """A canteen closing: its standing bookings and booked days from `from_day` go to another
    canteen (a plan running already ends the day before and continues there, its coming pauses
    with it); a meal the other canteen cannot give (delivery it does not do, a session it does
    not serve) is not moved and is said."""
    require_cap(actor, Cap.BOOKING_EDIT, "转移预订", "move bookings")
    scope = scope_for(actor)
    found = Canteen.objects.filter(scope.canteen_q(), pk__in=[from_canteen.pk, to_canteen.pk])
    if found.count() != 2:
        raise NotFound("食堂", "canteen")
    serves = set(MealSession.objects.filter(canteen=to_canteen).values_list("kind", flat=True))
    moved: dict[int, Elder] = {}
    not_moved: dict[int, tuple[Elder, str]] = {}

    def refusal(elder: Elder, session: str, mode: str) -> str | None:
        if session not in serves:
            return f"{to_canteen.name}不供应{dict(SESSION_CHOICES)[session]}"
        if mode == BookingMode.DELIVERY:
            refused = delivery_refusal(elder, to_canteen, from_day)
            if refused is not None:
                return refused.message_zh
        return None

    plans = (
        BookingPlan.objects.select_for_update(of=("self",))
        .select_related("elder__residence")
        .filter(canteen=from_canteen)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=from_day))
    )
    for plan in plans:
        why = refusal(plan.elder, plan.session, plan.mode)
        last_day, original_end = from_day - dt.timedelta(days=1), plan.ends_on
        keeps_past = plan.starts_on < from_day
        if keeps_past:
            plan.ends_on = last_day
            plan.save(update_fields=["ends_on"])
        if why is not None:
            if not keeps_past:
                # It has not begun: it ends on its first day, and that day is paused, so it
                # never gives a meal at the closed canteen.
                plan.ends_on = plan.starts_on
                plan.save(update_fields=["ends_on"])
                BookingPause.objects.create(
                    plan=plan, starts_on=plan.starts_on, ends_on=plan.starts_on, reason=why[:120]
                )
            not_moved[plan.elder_id] = (plan.elder, why)
            continue
        if keeps_past:
            follower = BookingPlan.objects.create(
                elder=plan.elder,
                canteen=to_canteen,
                session=plan.session,
                mode=plan.mode,
                weekdays=plan.weekdays,
                starts_on=from_day,
                ends_on=original_end,
                booked_by=actor_label(actor),
            )
            for pause in plan.pauses.filter(ends_on__gte=from_day):
                BookingPause.objects.create(
                    plan=follower,
                    starts_on=max(pause.starts_on, from_day),
                    ends_on=pause.ends_on,
                    reason=pause.reason,
                )
        else:
            plan.canteen = to_canteen
            plan.save(update_fields=["canteen"])
        moved[plan.elder_id] = plan.elder
        where = {"from": from_canteen.code, "to": to_canteen.code, "day": from_day.isoformat()}
        _audit(actor, "booking.plan_move", plan, plan.elder, where)
    for booking in (
        Booking.objects.select_for_update(of=("self",))
        .select_related("elder__residence")
        .filter(canteen=from_canteen, date__gte=from_day, status=BookingStatus.BOOKED)
    ):
        why = refusal(booking.elder, booking.session, booking.mode)
        if why is None:
            booking.canteen = to_canteen
            moved[booking.elder_id] = booking.elder
        else:
            booking.status, booking.cancelled_at = BookingStatus.CANCELLED, clock.now()
            not_moved[booking.elder_id] = (booking.elder, why)
        booking.save()
    return Moved(list(moved.values()), list(not_moved.values()))
