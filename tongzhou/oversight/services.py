"""The only writes of a canteen's governed life. Each takes the acting user, runs in one
transaction and records an audit event.

事前: an application is submitted (by the village or town for the operator), reviewed by the
town, inspected on site and accepted by the district (the canteen is registered and may sell
from then), and recorded by the city, which releases the construction subsidy's stages as they
fall due. 事中: the kitchen's daily records, inspections and their findings put right, the
elders' ratings and complaints. Traceability: a dish or a canteen stopped at once and everyone
who ate it listed."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import level_of, require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.bookings.services import Moved, bookings_move
from tongzhou.canteens.models import Canteen, CanteenStatus, Dish, SessionKind
from tongzhou.canteens.services import (
    canteen_save,
    canteen_status_set,
    dish_stop,
    meal_session_set,
    operator_for,
)
from tongzhou.core import clock, periods
from tongzhou.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    required_text,
)
from tongzhou.core.notify import Message, notify
from tongzhou.elders.services import phone_for_notice
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.ledger.models import AccountKind, JournalKind
from tongzhou.ledger.services import account_for, post
from tongzhou.meals.models import Meal, MealStatus
from tongzhou.oversight import selectors, stars
from tongzhou.oversight.models import (
    HYGIENE_LIMITS,
    SAMPLE_KEEP_HOURS,
    SAMPLE_MIN_GRAMS,
    Application,
    ApplicationFile,
    ApplicationStaff,
    ApplicationStatus,
    ApplicationStep,
    Complaint,
    ConstructionSubsidy,
    Evaluation,
    Finding,
    FoodSample,
    HygieneRecord,
    Inspection,
    KitchenStaff,
    MealRating,
    MorningCheck,
    PurchaseCheck,
    StagePayment,
    StarPolicy,
    TraceCall,
    TraceCase,
)

# The usual hours of each meal session for a new canteen (it changes them in the back office).
SESSION_HOURS = {
    SessionKind.BREAKFAST: (dt.time(6, 30), dt.time(8, 30)),
    SessionKind.LUNCH: (dt.time(10, 30), dt.time(13, 0)),
    SessionKind.DINNER: (dt.time(16, 30), dt.time(18, 30)),
}
FEVER = Decimal("37.3")
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _photo(upload: UploadedFile | None, required: bool = True) -> UploadedFile | None:
    if upload is None or not upload.size:
        if required:
            raise ValidationFailed("photo_required", "请拍照上传。", "Take a photo.")
        return None
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationFailed(
            "photo_too_large", "照片不能超过10MB。", "Photos may be up to 10 MB."
        )
    return upload


# --- 事前 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    name: str
    job: str
    health_cert_no: str
    health_cert_expires_on: dt.date


def _check_application(application: Application, staff: list[StaffRow], day: dt.date) -> None:
    if application.village.level != RegionLevel.VILLAGE:
        raise ValidationFailed(
            "canteen_village_invalid",
            "食堂所在地必须是村或社区。",
            "A canteen must sit in a village or community.",
        )
    if not (121.0 <= application.lon <= 123.5 and 29.3 <= application.lat <= 31.2):
        raise ValidationFailed(
            "canteen_point_outside_city", "坐标不在舟山市范围内。", "The point is outside Zhoushan."
        )
    if application.kind == "central_kitchen" and application.seats:
        raise ValidationFailed(
            "central_kitchen_seats",
            "中央厨房只配送，不设座位。",
            "A central kitchen only delivers and has no seats.",
        )
    if not application.daily_capacity or not application.sessions:
        raise ValidationFailed(
            "application_capacity_missing",
            "请填写每日供餐能力和供餐餐次。",
            "Give the meals a day and the meal sessions.",
        )
    if set(application.sessions) - set(SessionKind.values):
        raise ValidationFailed("session_invalid", "餐次不正确。", "Unknown meal session.")
    if application.licence_expires_on <= day or application.insurance_expires_on <= day:
        raise ValidationFailed(
            "application_papers_expired",
            "食品经营许可证或保险已过期，请续期后再申请。",
            "The food business licence or the insurance has expired.",
        )
    if not staff:
        raise ValidationFailed(
            "application_staff_missing",
            "请至少登记一名持健康证的从业人员。",
            "Name at least one worker with a health certificate.",
        )
    for row in staff:
        if row.health_cert_expires_on <= day:
            raise ValidationFailed(
                "health_certificate_expired",
                f"{row.name}的健康证已过期。",
                f"{row.name}'s health certificate has expired.",
            )


def _step(application: Application, actor: Any, step: str, comment: str = "") -> None:
    ApplicationStep.objects.create(
        application=application, step=step, actor=actor, comment=comment[:300]
    )
    audit_record(
        actor=actor,
        action=f"oversight.application.{step}",
        target=application,
        after={"status": application.status, "comment": comment[:300]},
        scope_path=application.village.path,
    )


@transaction.atomic
def application_submit(
    *,
    actor: Any,
    application: Application,
    staff: list[StaffRow],
    files: list[tuple[str, UploadedFile]] | None = None,
) -> Application:
    """Submit an application to the town (a new one, or one sent back, corrected)."""
    require_cap(actor, Cap.CANTEEN_APPLY, "提交食堂申请", "submit canteen applications")
    if not scope_for(actor).contains_path(application.village.path):
        raise NotFound("村（社区）", "village")
    if application.pk:
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
            raise Conflict(
                "application_wrong_step",
                "申请已在审核中，不能修改。",
                "The application is being reviewed; it cannot change now.",
            )
    _check_application(application, staff, clock.today())
    if not files and not (application.pk and application.files.exists()):
        raise ValidationFailed("photo_required", "请上传场地照片。", "Add a photo of the site.")
    application.applied_by = getattr(application, "applied_by", None) or actor
    application.status = ApplicationStatus.SUBMITTED
    application.save()
    application.staff.all().delete()
    ApplicationStaff.objects.bulk_create(
        ApplicationStaff(application=application, **row.__dict__) for row in staff
    )
    for what, upload in files or []:
        ApplicationFile.objects.create(
            application=application, what=what[:40], file=_photo(upload), added_by=actor
        )
    _step(application, actor, "submit")
    return application


def _application_locked(actor: Any, application_id: int) -> Application:
    found = (
        Application.objects.select_for_update(of=("self",))
        .select_related("village")
        .filter(pk=application_id)
        .first()
    )
    if found is None or not scope_for(actor).contains_path(found.village.path):
        raise NotFound("食堂申请", "application")
    return found


def _expect(application: Application, status: str, level: str, actor: Any) -> None:
    require_cap(actor, Cap.CANTEEN_GOVERN, "审核食堂申请", "review canteen applications")
    if level_of(actor) != level:
        raise PermissionDenied("办理这一步", "take this step")
    if application.status != status:
        raise Conflict(
            "application_wrong_step",
            f"申请当前为“{application.get_status_display()}”，不能办理这一步。",
            f"The application is '{application.status}'; this step does not apply.",
        )


@transaction.atomic
def application_town_pass(*, actor: Any, application_id: int, comment: str = "") -> Application:
    application = _application_locked(actor, application_id)
    _expect(application, ApplicationStatus.SUBMITTED, RegionLevel.TOWN, actor)
    application.status = ApplicationStatus.TOWN_PASSED
    application.save(update_fields=["status"])
    _step(application, actor, "town_pass", comment)
    return application


@transaction.atomic
def application_return(*, actor: Any, application_id: int, comment: str) -> Application:
    """Sent back by the town (before its review) or the district (before acceptance)."""
    application = _application_locked(actor, application_id)
    step_of: dict[str, str] = {RegionLevel.TOWN: ApplicationStatus.SUBMITTED}
    step_of[RegionLevel.DISTRICT] = ApplicationStatus.TOWN_PASSED
    level = level_of(actor)
    if level not in step_of:
        raise PermissionDenied("退回食堂申请", "send applications back")
    _expect(application, step_of[level], level, actor)
    comment = required_text(
        comment, "请写明退回原因和要补正的内容。", "Say why and what to correct."
    )
    application.status = ApplicationStatus.RETURNED
    application.save(update_fields=["status"])
    _step(application, actor, "return", comment)
    return application


@dataclass(frozen=True)
class ChecklistPoint:
    point: str
    met: bool
    note: str = ""


def _checklist(points: list[ChecklistPoint]) -> tuple[list[dict[str, Any]], int]:
    if not points:
        raise ValidationFailed(
            "checklist_missing", "请逐项填写检查表。", "Go through the checklist."
        )
    rows = [{"point": p.point, "met": p.met, "note": p.note.strip()[:200]} for p in points]
    for row in rows:
        if not row["met"] and not row["note"]:
            raise ValidationFailed(
                "checklist_note_missing",
                f"“{row['point']}”不符合，请写明情况。",
                f"Say what is wrong with '{row['point']}'.",
            )
    return rows, round(100 * sum(p.met for p in points) / len(points))


def _canteen_code(application: Application) -> str:
    return f"SQ{application.village.code[:9]}{application.pk:04d}"


@transaction.atomic
def application_accept(
    *,
    actor: Any,
    application_id: int,
    checklist: list[ChecklistPoint],
    inspectors: str,
    photos: list[UploadedFile],
    comment: str = "",
) -> Application:
    """The district's on-site acceptance: every point of the checklist met, photos taken. The
    canteen is registered, opens from today with its kitchen staff and sessions, and its
    construction subsidy is scheduled in stages."""
    application = _application_locked(actor, application_id)
    _expect(application, ApplicationStatus.TOWN_PASSED, RegionLevel.DISTRICT, actor)
    rows, score = _checklist(checklist)
    if score < 100:
        raise Conflict(
            "acceptance_points_unmet",
            "验收检查表有未达标项，请退回整改后再验收。",
            "Points of the checklist are not met: send it back to be put right.",
        )
    if not photos:
        raise ValidationFailed("photo_required", "请上传现场照片。", "Add photos of the site.")
    today = clock.today()
    inspection = Inspection.objects.create(
        application=application,
        purpose="acceptance",
        body="district",
        day=today,
        checklist=rows,
        score=score,
        inspectors=required_text(inspectors, "请填写验收人员。", "Name the inspectors."),
        recorded_by=actor,
    )
    for upload in photos:
        ApplicationFile.objects.create(
            application=application, what="验收现场", file=_photo(upload), added_by=actor
        )
    operator = operator_for(
        name=application.operator_name,
        credit_code=application.credit_code,
        contact_name=application.contact_name,
        contact_phone=application.contact_phone,
    )
    canteen = canteen_save(
        actor=actor,
        canteen=Canteen(
            code=_canteen_code(application),
            name=application.name,
            kind=application.kind,
            operator=operator,
            village=application.village,
            address=application.address,
            lon=application.lon,
            lat=application.lat,
            seats=application.seats,
            status=CanteenStatus.OPEN,
            opened_on=today,
            licence_no=application.licence_no,
            licence_expires_on=application.licence_expires_on,
        ),
        tags=[],
    )
    for kind in application.sessions:
        starts, ends = SESSION_HOURS[SessionKind(kind)]
        meal_session_set(actor=actor, canteen=canteen, kind=kind, starts_at=starts, ends_at=ends)
    KitchenStaff.objects.bulk_create(
        KitchenStaff(
            canteen=canteen,
            name=row.name,
            job=row.job,
            health_cert_no=row.health_cert_no,
            health_cert_expires_on=row.health_cert_expires_on,
        )
        for row in application.staff.all()
    )
    inspection.canteen = canteen
    inspection.save(update_fields=["canteen"])
    application.canteen, application.status = canteen, ApplicationStatus.ACCEPTED
    application.save(update_fields=["canteen", "status"])
    _schedule_stages(application, today)
    _step(application, actor, "accept", comment)
    return application


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it is shorter)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _schedule_stages(application: Application, accepted_on: dt.date) -> None:
    rule = (
        ConstructionSubsidy.objects.filter(kind=application.kind, valid_from__lte=accepted_on)
        .order_by("-valid_from")
        .first()
    )
    if rule is None:
        return
    paid = 0
    stages = list(rule.stages)
    for number, (months, share_bp) in enumerate(stages, start=1):
        # The last stage takes what rounding left, so the stages sum to the grant exactly.
        amount = (
            rule.amount_fen - paid
            if number == len(stages)
            else rule.amount_fen * int(share_bp) // 10000
        )
        paid += amount
        city = amount * rule.city_share_bp // 10000
        StagePayment.objects.create(
            application=application,
            number=number,
            due_on=_add_months(accepted_on, int(months)),
            amount_fen=amount,
            city_fen=city,
            district_fen=amount - city,
        )


@transaction.atomic
def application_record(*, actor: Any, application_id: int, comment: str = "") -> Application:
    """The city records (备案) an accepted canteen and releases the stages already due."""
    application = _application_locked(actor, application_id)
    _expect(application, ApplicationStatus.ACCEPTED, RegionLevel.CITY, actor)
    application.status = ApplicationStatus.RECORDED
    application.save(update_fields=["status"])
    _step(application, actor, "record", comment)
    _release_due(actor, application, clock.today())
    return application


def _release_due(actor: Any, application: Application, day: dt.date) -> int:
    canteen = application.canteen
    assert canteen is not None
    if canteen.status != CanteenStatus.OPEN:
        return 0  # a suspended or closed canteen's later stages wait
    district = Region.objects.get(code=application.village.code[:6])
    city = Region.objects.get(level=RegionLevel.CITY)
    released = 0
    for stage in StagePayment.objects.select_for_update().filter(
        application=application, journal__isnull=True, due_on__lte=day
    ):
        lines = [
            (account_for(AccountKind.CANTEEN_RECEIVABLE, canteen_id=canteen.pk), stage.amount_fen)
        ]
        if stage.city_fen:
            lines.append((account_for(AccountKind.CITY_FUND, region_id=city.pk), -stage.city_fen))
        if stage.district_fen:
            lines.append(
                (account_for(AccountKind.DISTRICT_FUND, region_id=district.pk), -stage.district_fen)
            )
        stage.journal = post(
            kind=JournalKind.CONSTRUCTION,
            business_date=day,
            lines=lines,
            memo=f"{canteen.name} 建设补助第{stage.number}期",
        )
        stage.released_at, stage.released_by = clock.now(), actor
        stage.save(update_fields=["journal", "released_at", "released_by"])
        audit_record(
            actor=actor,
            action="oversight.stage.release",
            target=stage,
            after={"amount_fen": stage.amount_fen, "number": stage.number},
            scope_path=application.village.path,
            canteen_id=canteen.pk,
        )
        released += 1
    return released


@transaction.atomic
def stages_release(*, actor: Any, day: dt.date | None = None) -> int:
    """Release every recorded canteen's stages due by `day` (run by the city, or nightly)."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "发放建设补助", "release construction subsidies")
    if level_of(actor) != RegionLevel.CITY:
        raise PermissionDenied("发放建设补助", "release construction subsidies")
    day = day or clock.today()
    released = 0
    for application in (
        Application.objects.filter(
            status=ApplicationStatus.RECORDED,
            stage_payments__journal__isnull=True,
            stage_payments__due_on__lte=day,
        )
        .distinct()
        .select_related("village", "canteen")
    ):
        released += _release_due(actor, application, day)
    return released


# --- 事中: the kitchen's records -------------------------------------------------------------


def _kitchen(actor: Any, canteen_id: int) -> Canteen:
    require_cap(actor, Cap.KITCHEN_RECORD, "记录后厨台账", "keep the kitchen's records")
    return selectors.canteen_get(actor, canteen_id)


def _recorded(actor: Any, action: str, row: Any, canteen: Canteen, after: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=f"oversight.kitchen.{action}",
        target=row,
        after=after,
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )


@transaction.atomic
def kitchen_staff_add(*, actor: Any, canteen_id: int, row: StaffRow) -> KitchenStaff:
    """A new worker in the kitchen, with a health certificate in force."""
    canteen = _kitchen(actor, canteen_id)
    name = required_text(row.name, "请填写姓名。", "Give the name.")[:40]
    if row.health_cert_expires_on <= clock.today() or not row.health_cert_no.strip():
        raise ValidationFailed(
            "health_certificate_expired",
            "请填写有效期内的健康证。",
            "A health certificate in force is needed.",
        )
    staff, created = KitchenStaff.objects.update_or_create(
        canteen=canteen,
        name=name,
        defaults={
            "job": row.job.strip()[:20] or "厨师",
            "health_cert_no": row.health_cert_no.strip()[:30],
            "health_cert_expires_on": row.health_cert_expires_on,
            "is_active": True,
        },
    )
    _recorded(actor, "staff_add", staff, canteen, {"name": name, "returned": not created})
    return staff


@transaction.atomic
def kitchen_staff_leave(*, actor: Any, staff_id: int) -> KitchenStaff:
    staff = KitchenStaff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise NotFound("从业人员", "staff member")
    canteen = _kitchen(actor, staff.canteen_id)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    _recorded(actor, "staff_leave", staff, canteen, {"name": staff.name})
    return staff


@transaction.atomic
def morning_check_record(
    *, actor: Any, canteen_id: int, staff_id: int, temperature: Decimal, symptoms: str = ""
) -> MorningCheck:
    """晨检: fit unless feverish or with symptoms (then not in the kitchen today)."""
    canteen = _kitchen(actor, canteen_id)
    staff = KitchenStaff.objects.filter(canteen=canteen, pk=staff_id, is_active=True).first()
    if staff is None:
        raise NotFound("从业人员", "staff member")
    if not Decimal(34) <= temperature <= Decimal(42):
        raise ValidationFailed(
            "temperature_implausible", "体温应在34至42℃之间。", "A temperature is 34-42 °C."
        )
    today = clock.today()
    if MorningCheck.objects.filter(staff=staff, day=today).exists():
        raise Conflict(
            "morning_check_done", f"{staff.name}今天已晨检。", f"{staff.name} is checked today."
        )
    check = MorningCheck.objects.create(
        staff=staff,
        canteen=canteen,
        day=today,
        temperature=temperature,
        symptoms=symptoms.strip()[:100],
        fit=temperature < FEVER and not symptoms.strip(),
        recorded_by=actor,
    )
    _recorded(actor, "morning_check", check, canteen, {"staff": staff.name, "fit": check.fit})
    return check


@transaction.atomic
def sample_record(
    *,
    actor: Any,
    canteen_id: int,
    session: str,
    dish_id: int,
    grams: int,
    photo: UploadedFile | None,
    taken_by: str,
) -> FoodSample:
    """留样: at least 125 g of the dish, photographed, kept 48 hours from now."""
    canteen = _kitchen(actor, canteen_id)
    dish = Dish.objects.filter(canteen=canteen, pk=dish_id).first()
    if dish is None:
        raise NotFound("菜品", "dish")
    if session not in SessionKind.values:
        raise ValidationFailed("session_invalid", "餐次不正确。", "Unknown meal session.")
    if grams < SAMPLE_MIN_GRAMS:
        raise ValidationFailed(
            "sample_too_small",
            f"每个品种留样不少于{SAMPLE_MIN_GRAMS}克。",
            f"Keep at least {SAMPLE_MIN_GRAMS} g of each dish.",
        )
    now, today = clock.now(), clock.today()
    if FoodSample.objects.filter(canteen=canteen, day=today, session=session, dish=dish).exists():
        raise Conflict("sample_done", "这道菜本餐已留样。", "This dish is sampled for the meal.")
    sample = FoodSample.objects.create(
        canteen=canteen,
        day=today,
        session=session,
        dish=dish,
        grams=grams,
        photo=_photo(photo),
        taken_by=required_text(taken_by, "请填写留样人。", "Say who took the sample."),
        taken_at=now,
        keep_until=now + dt.timedelta(hours=SAMPLE_KEEP_HOURS),
        recorded_by=actor,
    )
    _recorded(actor, "sample", sample, canteen, {"dish": dish.name, "grams": grams})
    return sample


@transaction.atomic
def sample_discard(*, actor: Any, sample_id: int) -> FoodSample:
    sample = FoodSample.objects.select_for_update().filter(pk=sample_id).first()
    if sample is None:
        raise NotFound("留样", "sample")
    canteen = _kitchen(actor, sample.canteen_id)
    if sample.discarded_at is not None:
        raise Conflict("sample_discarded", "该留样已处理。", "This sample is already discarded.")
    if clock.now() < sample.keep_until:
        raise Conflict(
            "sample_keep_48_hours",
            f"留样须保存48小时，{sample.keep_until.astimezone(clock.now().tzinfo):%m月%d日%H:%M}后才能处理。",
            "A sample is kept 48 hours.",
        )
    sample.discarded_at = clock.now()
    sample.save(update_fields=["discarded_at"])
    _recorded(actor, "sample_discard", sample, canteen, {})
    return sample


@transaction.atomic
def purchase_record(
    *,
    actor: Any,
    canteen_id: int,
    supplier: str,
    goods: str,
    invoice_no: str,
    certificate_no: str,
    photo: UploadedFile | None,
    accepted: bool = True,
    note: str = "",
) -> PurchaseCheck:
    """进货查验: supplier, goods, invoice and certificate, photographed; refused goods say why."""
    canteen = _kitchen(actor, canteen_id)
    if not accepted and not note.strip():
        raise ValidationFailed(
            "purchase_refusal_reason", "拒收请写明原因。", "Say why the goods were refused."
        )
    check = PurchaseCheck.objects.create(
        canteen=canteen,
        day=clock.today(),
        supplier=required_text(supplier, "请填写供货单位。", "Name the supplier."),
        goods=required_text(goods, "请填写货品。", "Say what came in."),
        invoice_no=required_text(invoice_no, "请填写票据号。", "Give the invoice number."),
        certificate_no=certificate_no.strip()[:40],
        photo=_photo(photo),
        accepted=accepted,
        note=note.strip()[:100],
        recorded_by=actor,
    )
    _recorded(actor, "purchase", check, canteen, {"goods": check.goods, "accepted": accepted})
    return check


@transaction.atomic
def hygiene_record(
    *, actor: Any, canteen_id: int, kind: str, reading: Decimal | None = None, method: str = ""
) -> HygieneRecord:
    """A disinfection done (with its method) or a refrigerator read (within its limits)."""
    canteen = _kitchen(actor, canteen_id)
    if kind == "disinfection":
        within = True
        method = required_text(method, "请填写消毒方式。", "Say how it was disinfected.")
    elif kind in HYGIENE_LIMITS:
        if reading is None:
            raise ValidationFailed(
                "reading_required", "请填写温度读数。", "Give the temperature read."
            )
        low, high = HYGIENE_LIMITS[kind]
        within = low <= reading <= high
    else:
        raise ValidationFailed("hygiene_kind_invalid", "记录类型不正确。", "Unknown record.")
    row = HygieneRecord.objects.create(
        canteen=canteen,
        day=clock.today(),
        kind=kind,
        reading=reading if kind != "disinfection" else None,
        method=method[:40],
        within_limits=within,
        recorded_by=actor,
    )
    _recorded(actor, "hygiene", row, canteen, {"kind": kind, "within": within})
    return row


# --- 事中: inspections -----------------------------------------------------------------------


@dataclass(frozen=True)
class FindingRow:
    text: str
    deadline: dt.date
    photo: UploadedFile | None = None


BODY_OF_LEVEL: dict[str, str] = {
    RegionLevel.TOWN: "town",
    RegionLevel.DISTRICT: "district",
    RegionLevel.CITY: "city",
}


@transaction.atomic
def inspection_record(
    *,
    actor: Any,
    canteen_id: int,
    checklist: list[ChecklistPoint],
    inspectors: str,
    findings: list[FindingRow],
    with_market_regulator: bool = False,
    purpose: str = "routine",
) -> Inspection:
    """An inspection of an open canteen with its checklist; each finding has a deadline to be
    put right by, after today."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "检查食堂", "inspect canteens")
    canteen = selectors.canteen_get(actor, canteen_id)
    rows, score = _checklist(checklist)
    today = clock.today()
    if any(f.deadline <= today for f in findings):
        raise ValidationFailed(
            "finding_deadline_past", "整改期限须晚于今天。", "A deadline must be after today."
        )
    if score < 100 and not findings:
        raise ValidationFailed(
            "findings_missing",
            "检查表有不符合项，请登记问题和整改期限。",
            "Points are not met: record the findings with their deadlines.",
        )
    inspection = Inspection.objects.create(
        canteen=canteen,
        purpose=purpose,
        body="market" if with_market_regulator else BODY_OF_LEVEL.get(level_of(actor), "city"),
        day=today,
        checklist=rows,
        score=score,
        inspectors=required_text(inspectors, "请填写检查人员。", "Name the inspectors."),
        recorded_by=actor,
    )
    for row in findings:
        Finding.objects.create(
            inspection=inspection,
            canteen=canteen,
            text=required_text(row.text, "请写明问题。", "Describe the finding."),
            photo=_photo(row.photo, required=False) or "",
            deadline=row.deadline,
        )
    audit_record(
        actor=actor,
        action="oversight.inspection",
        target=inspection,
        after={"score": score, "findings": len(findings)},
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return inspection


@transaction.atomic
def finding_rectify(
    *, actor: Any, finding_id: int, text: str, photo: UploadedFile | None
) -> Finding:
    """The canteen says what it did, with a photo after."""
    finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
    if finding is None or finding.canteen_id is None:
        raise NotFound("检查问题", "finding")
    canteen = _kitchen(actor, finding.canteen_id)
    if finding.confirmed_at is not None:
        raise Conflict("finding_closed", "该问题已确认整改。", "This finding is closed.")
    finding.rectified_text = required_text(text, "请写明整改情况。", "Say what was done.")[:200]
    finding.rectified_photo = _photo(photo)
    finding.rectified_at = clock.now()
    finding.save(update_fields=["rectified_text", "rectified_photo", "rectified_at"])
    _recorded(actor, "rectify", finding, canteen, {"text": finding.rectified_text})
    return finding


@transaction.atomic
def finding_confirm(*, actor: Any, finding_id: int, accept: bool, comment: str = "") -> Finding:
    """The inspecting side confirms the rectification, or sends it back to be done again."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "确认整改", "confirm rectifications")
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("canteen__village")
        .filter(pk=finding_id)
        .first()
    )
    if (
        finding is None
        or finding.canteen is None
        or not scope_for(actor).contains_path(finding.canteen.village.path)
    ):
        raise NotFound("检查问题", "finding")
    if finding.rectified_at is None or finding.confirmed_at is not None:
        raise Conflict(
            "finding_wrong_step", "食堂尚未报告整改，或已确认。", "Nothing to confirm yet."
        )
    if accept:
        finding.confirmed_at, finding.confirmed_by = clock.now(), actor
    else:
        comment = required_text(
            comment, "请写明需要重新整改的原因。", "Say why it is not put right."
        )
        finding.rectified_at = None
        finding.rectified_text = f"（退回：{comment[:80]}）{finding.rectified_text}"[:200]
    finding.save(update_fields=["confirmed_at", "confirmed_by", "rectified_at", "rectified_text"])
    audit_record(
        actor=actor,
        action="oversight.finding.confirm" if accept else "oversight.finding.reopen",
        target=finding,
        after={"comment": comment[:200]},
        scope_path=finding.canteen.village.path,
        canteen_id=finding.canteen_id,
    )
    return finding


# --- 事中: ratings and complaints ------------------------------------------------------------

RATING_AT_COUNTER_MINUTES = 30


@transaction.atomic
def meal_rate(
    *,
    meal_id: int,
    stars: int,
    channel: str,
    actor: Any = None,
    terminal: Any = None,
    elder_id: int | None = None,
) -> MealRating:
    """One rating per meal: tapped at the counter just after the sale (the terminal), given on
    the elder's own page (the elder), or taken by phone by a worker of the elder's area."""
    if not 1 <= int(stars) <= 5:
        raise ValidationFailed("rating_invalid", "请选择1到5颗星。", "Choose 1 to 5 stars.")
    meal = (
        Meal.objects.select_related("canteen__village", "elder__residence")
        .filter(pk=meal_id, status=MealStatus.COMPLETED)
        .first()
    )
    allowed = False
    if meal is not None:
        if channel == "counter" and terminal is not None:
            age = clock.now() - meal.created_at
            allowed = terminal.canteen_id == meal.canteen_id and age <= dt.timedelta(
                minutes=RATING_AT_COUNTER_MINUTES
            )
        elif channel == "elder_page" and elder_id is not None:
            allowed = meal.elder_id == elder_id
        elif channel == "phone" and actor is not None:
            require_cap(actor, Cap.MEAL_RATE, "代老人评价", "take ratings by phone")
            allowed = scope_for(actor).contains_path(meal.elder.residence.path)
    if meal is None or not allowed:
        raise NotFound("这一餐", "meal")
    try:
        with transaction.atomic():
            rating = MealRating.objects.create(
                meal=meal,
                canteen=meal.canteen,
                elder_id=meal.elder_id,
                day=meal.business_date,
                stars=int(stars),
                channel=channel,
            )
    except IntegrityError:
        raise Conflict(
            "meal_rated", "这一餐已经评价过了，谢谢！", "This meal is already rated."
        ) from None
    audit_record(
        actor=actor,
        action="oversight.rating",
        target=rating,
        after={"stars": rating.stars, "channel": channel},
        scope_path=meal.canteen.village.path,
        canteen_id=meal.canteen_id,
    )
    return rating


@transaction.atomic
def complaint_make(
    *, canteen_id: int, text: str, channel: str, actor: Any = None, elder_id: int | None = None
) -> Complaint:
    """A complaint from the elder's own page (elder given) or taken by a worker (actor)."""
    if actor is not None:
        require_cap(actor, Cap.MEAL_RATE, "登记投诉", "take complaints")
    canteen = Canteen.objects.select_related("village").filter(pk=canteen_id).first()
    if canteen is None or (
        actor is not None and not scope_for(actor).contains_path(canteen.village.path)
    ):
        raise NotFound("食堂", "canteen")
    complaint = Complaint.objects.create(
        canteen=canteen,
        elder_id=elder_id,
        text=required_text(text, "请说说遇到的问题。", "Say what went wrong.")[:300],
        channel=channel,
    )
    audit_record(
        actor=actor,
        action="oversight.complaint",
        target=complaint,
        after={"channel": channel},
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return complaint


@transaction.atomic
def complaint_answer(*, actor: Any, complaint_id: int, answer: str) -> Complaint:
    require_cap(actor, Cap.COMPLAINT_ANSWER, "答复投诉", "answer complaints")
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("canteen__village")
        .filter(scope_for(actor).canteen_q("canteen__"), pk=complaint_id)
        .first()
    )
    if complaint is None:
        raise NotFound("投诉", "complaint")
    if complaint.answered_at is not None:
        raise Conflict("complaint_answered", "该投诉已答复。", "Already answered.")
    complaint.answer = required_text(answer, "请填写答复。", "Write the answer.")[:300]
    complaint.answered_at, complaint.answered_by = clock.now(), actor
    complaint.save(update_fields=["answer", "answered_at", "answered_by"])
    audit_record(
        actor=actor,
        action="oversight.complaint.answer",
        target=complaint,
        after={"answer": complaint.answer},
        scope_path=complaint.canteen.village.path,
        canteen_id=complaint.canteen_id,
    )
    return complaint


# --- Traceability ----------------------------------------------------------------------------


@transaction.atomic
def trace_open(
    *,
    actor: Any,
    canteen_id: int,
    day: dt.date,
    reason: str,
    dish_id: int | None = None,
    stop_canteen: bool = False,
) -> TraceCase:
    """A suspected incident: the dish (or the canteen) stops selling at once, and the list of
    everyone who ate it that day is fixed in the case for the call round and the regulator."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "食品安全追溯", "trace a food-safety incident")
    canteen = selectors.canteen_get(actor, canteen_id)
    dish = Dish.objects.filter(canteen=canteen, pk=dish_id).first() if dish_id else None
    if dish_id and dish is None:
        raise NotFound("菜品", "dish")
    if dish is None and not stop_canteen:
        raise ValidationFailed(
            "trace_what", "请选择菜品，或停止整个食堂售餐。", "Choose a dish, or stop the canteen."
        )
    reason = required_text(reason, "请写明报告的情况。", "Say what was reported.")
    if dish is not None:
        dish_stop(actor=actor, dish_id=dish.pk, reason=f"食品安全追溯：{reason}")
    if stop_canteen and canteen.status == CanteenStatus.OPEN:
        canteen_status_set(
            actor=actor,
            canteen_id=canteen.pk,
            status=CanteenStatus.SUSPENDED,
            reason="食品安全追溯，暂停售餐",
        )
    eaters = selectors.who_ate(canteen.pk, day, dish)
    case = TraceCase.objects.create(
        canteen=canteen,
        dish=dish,
        day=day,
        reason=reason[:300],
        stopped_canteen=stop_canteen,
        opened_by=actor,
        eaters=[e.as_record() for e in eaters],
    )
    audit_record(
        actor=actor,
        action="oversight.trace.open",
        target=case,
        after={"dish": dish.name if dish else None, "day": str(day), "eaters": len(eaters)},
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return case


def _case(actor: Any, case_id: int, *, lock: bool = False) -> TraceCase:
    found = TraceCase.objects.select_related("canteen__village").filter(
        scope_for(actor).canteen_q("canteen__"), pk=case_id
    )
    case = (found.select_for_update(of=("self",)) if lock else found).first()
    if case is None:
        raise NotFound("追溯", "trace")
    return case


CALL_OUTCOMES = ("well", "unwell", "unreached")


@transaction.atomic
def trace_call(
    *, actor: Any, case_id: int, elder_id: int, outcome: str, note: str = ""
) -> TraceCall:
    """One call of the round (an unwell elder is said so, with what was done)."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "追溯回访", "call round")
    case = _case(actor, case_id)
    if elder_id not in {e["elder"] for e in case.eaters}:
        raise NotFound("就餐老人", "elder")
    if outcome not in CALL_OUTCOMES:
        raise ValidationFailed("call_outcome_invalid", "请选择回访结果。", "Choose an outcome.")
    if outcome == "unwell" and not note.strip():
        raise ValidationFailed(
            "call_note_required", "身体不适的，请写明症状和处置。", "Say the symptoms and care."
        )
    call = TraceCall.objects.create(
        case=case, elder_id=elder_id, outcome=outcome, note=note.strip()[:200], called_by=actor
    )
    audit_record(
        actor=actor,
        action="oversight.trace.call",
        target=call,
        after={"outcome": outcome},
        scope_path=case.canteen.village.path,
        canteen_id=case.canteen_id,
    )
    return call


@transaction.atomic
def trace_close(*, actor: Any, case_id: int, conclusion: str) -> TraceCase:
    require_cap(actor, Cap.CANTEEN_GOVERN, "结束追溯", "close a trace")
    case = _case(actor, case_id, lock=True)
    if case.closed_at is not None:
        raise Conflict("trace_closed", "该追溯已结束。", "This trace is closed.")
    case.conclusion = required_text(conclusion, "请写明调查结论。", "Give the conclusion.")[:300]
    case.closed_at = clock.now()
    case.save(update_fields=["conclusion", "closed_at"])
    audit_record(
        actor=actor,
        action="oversight.trace.close",
        target=case,
        after={"conclusion": case.conclusion},
        scope_path=case.canteen.village.path,
        canteen_id=case.canteen_id,
    )
    return case


# --- 事后: evaluations, stars, exit ----------------------------------------------------------


def policy_in_force(day: dt.date) -> StarPolicy:
    policy = StarPolicy.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if policy is None:
        raise Conflict(
            "star_policy_missing",
            "尚未设置食堂星级评定规则，请先在后台录入。",
            "No star rating policy is in force; enter one in the back office.",
        )
    return policy


def _parts(figures: dict[str, Any]) -> dict[str, float | None]:
    return {
        "ratings": stars.rating_part(figures["rating_average"]),
        "complaints": stars.share_part(figures["complaints_in_time"], figures["complaints"])
        if figures["complaints"]
        else 100.0,
        "inspections": figures["inspection_average"],
        "records": stars.share_part(figures["days_complete"], figures["days_served"]),
        "settlement": stars.share_part(figures["statements_on_time"], figures["statements"]),
    }


@transaction.atomic
def evaluations_run(*, actor: Any, period_id: str) -> list[Evaluation]:
    """Evaluate every canteen of the actor's area that served in the half-year or year: the
    figures, the parts, the score, the stars and the operating subsidy by the policy in force
    at the period's end. A score below the policy's line asks for rectification (a finding with
    a deadline, followed up like an inspection's). Run again, it replaces the figures."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "食堂考评", "evaluate canteens")
    if level_of(actor) not in (RegionLevel.CITY, RegionLevel.DISTRICT):
        raise PermissionDenied("食堂考评", "evaluate canteens")
    if not period_id.endswith(("S1", "S2")) and len(period_id) != 4:
        raise ValidationFailed(
            "evaluation_period_invalid",
            "考评按半年或全年进行。",
            "Canteens are evaluated by half-year or year.",
        )
    start, end = periods.bounds(period_id)
    today = clock.today()
    if start > today:
        raise ValidationFailed(
            "evaluation_period_future", "该期间尚未开始。", "That period has not begun."
        )
    policy = policy_in_force(min(end, today))
    canteens = list(
        selectors.canteens_governed(actor)
        .exclude(status=CanteenStatus.PLANNED)
        .filter(opened_on__lte=end)
    )
    figures = selectors.evaluation_figures(canteens, start, min(end, today), today)
    done: list[Evaluation] = []
    released = set(
        Evaluation.objects.filter(period_id=period_id, journal__isnull=False).values_list(
            "canteen_id", flat=True
        )
    )
    for canteen in canteens:
        if canteen.pk in released:
            continue  # its subsidy is paid: the figures it was paid on stand
        found = figures[canteen.pk]
        parts = _parts(found)
        total = stars.score(parts, policy.weights)
        earned = stars.stars_for(total, policy.bands)
        rate = int(policy.subsidy_fen_by_star.get(str(earned), 0))
        evaluation, _created = Evaluation.objects.update_or_create(
            canteen=canteen,
            period_id=period_id,
            defaults={
                "policy": policy,
                "figures": found,
                "parts": parts,
                "score": total,
                "stars": earned,
                "elder_days": found["elder_days"],
                "subsidy_fen_per_elder_day": rate,
                "subsidy_fen": found["elder_days"] * rate,
                "computed_at": clock.now(),
            },
        )
        if total is not None and total < policy.rectify_below and evaluation.rectification is None:
            inspection = Inspection.objects.create(
                canteen=canteen,
                purpose="evaluation",
                body=BODY_OF_LEVEL.get(level_of(actor), "city"),
                day=today,
                checklist=[],
                score=round(total),
                inspectors=str(actor)[:100],
                recorded_by=actor,
            )
            evaluation.rectification = Finding.objects.create(
                inspection=inspection,
                canteen=canteen,
                text=f"{periods.label(period_id)}考评{total:.0f}分，低于{policy.rectify_below}分，"
                "请对照扣分项限期整改",
                deadline=today + dt.timedelta(days=30),
            )
            evaluation.save(update_fields=["rectification"])
        done.append(evaluation)
    audit_record(
        actor=actor,
        action="oversight.evaluate",
        target=policy,
        after={"period": period_id, "canteens": len(done)},
        scope_path=scope_for(actor).region_path or "",
    )
    return done


@transaction.atomic
def evaluation_subsidy_release(*, actor: Any, evaluation_id: int) -> Evaluation:
    """The city pays an evaluated canteen its operating subsidy (elder-days × the rate of its
    stars): owed to the canteen, from the city's and its district's funds by the policy's
    shares, posted once; the evaluation's figures are fixed from then."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "拨付运营补贴", "release operating subsidies")
    if level_of(actor) != RegionLevel.CITY:
        raise PermissionDenied("拨付运营补贴", "release operating subsidies")
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("canteen__village", "policy")
        .filter(scope_for(actor).canteen_q("canteen__"), pk=evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFound("考评", "evaluation")
    if evaluation.journal_id is not None:
        raise Conflict(
            "subsidy_released", "该期运营补贴已拨付。", "This subsidy is already released."
        )
    if not evaluation.subsidy_fen:
        raise Conflict(
            "subsidy_nothing", "该期没有应拨付的运营补贴。", "There is no subsidy to release."
        )
    canteen, amount = evaluation.canteen, evaluation.subsidy_fen
    city_fen = amount * evaluation.policy.city_share_bp // 10000
    district = Region.objects.get(code=canteen.village.code[:6])
    city = Region.objects.get(level=RegionLevel.CITY)
    lines = [(account_for(AccountKind.CANTEEN_RECEIVABLE, canteen_id=canteen.pk), amount)]
    if city_fen:
        lines.append((account_for(AccountKind.CITY_FUND, region_id=city.pk), -city_fen))
    if amount - city_fen:
        lines.append(
            (account_for(AccountKind.DISTRICT_FUND, region_id=district.pk), -(amount - city_fen))
        )
    evaluation.journal = post(
        kind=JournalKind.OPERATING,
        business_date=clock.today(),
        lines=lines,
        memo=f"{canteen.name} {periods.label(evaluation.period_id)}运营补贴",
    )
    evaluation.released_at, evaluation.released_by = clock.now(), actor
    evaluation.save(update_fields=["journal", "released_at", "released_by"])
    audit_record(
        actor=actor,
        action="oversight.evaluation.release",
        target=evaluation,
        after={"subsidy_fen": amount, "city_fen": city_fen},
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return evaluation


@dataclass(frozen=True)
class Exit:
    canteen: Canteen
    moved: Moved
    told: int


@transaction.atomic
def canteen_exit(
    *, actor: Any, canteen_id: int, reason: str, move_to_id: int, from_day: dt.date
) -> Exit:
    """A canteen leaves (退出): it is closed, its standing bookings and booked days from
    `from_day` go to a canteen nearby, the elders booked there are told by message, and
    their purses are not touched (they spend them at any canteen)."""
    require_cap(actor, Cap.CANTEEN_GOVERN, "食堂退出", "close a canteen")
    canteen = selectors.canteen_get(actor, canteen_id)
    to = selectors.canteen_get(actor, move_to_id)
    reason = required_text(reason, "请写明退出原因。", "Say why the canteen leaves.")
    if to.pk == canteen.pk or to.status != CanteenStatus.OPEN:
        raise ValidationFailed(
            "exit_move_to_invalid",
            "请选择另一家正在营业的食堂承接老人的预订。",
            "Choose another open canteen to take the bookings.",
        )
    if from_day < clock.today():
        raise ValidationFailed(
            "exit_day_past", "转移日期不能早于今天。", "The day cannot be in the past."
        )
    moved = bookings_move(actor=actor, from_canteen=canteen, to_canteen=to, from_day=from_day)
    canteen_status_set(
        actor=actor, canteen_id=canteen.pk, status=CanteenStatus.CLOSED, reason=reason[:200]
    )
    told = [
        Message(
            to_name=elder.name,
            to_phone=phone,
            text=f"【同舟】{canteen.name}自{from_day:%m月%d日}起停止供餐，您的订餐已转到{to.name}，"
            "助餐卡和余额照常使用。",
            kind="canteen_exit",
        )
        for elder in moved.elders
        if (phone := phone_for_notice(elder))
    ]
    told += [
        Message(
            to_name=elder.name,
            to_phone=phone,
            text=f"【同舟】{canteen.name}自{from_day:%m月%d日}起停止供餐，"
            "村（社区）工作人员会联系您重新安排，余额照常使用。",
            kind="canteen_exit",
        )
        for elder, _why in moved.not_moved
        if (phone := phone_for_notice(elder))
    ]
    notify(told)
    audit_record(
        actor=actor,
        action="oversight.canteen.exit",
        target=canteen,
        after={
            "to": to.code,
            "from_day": from_day.isoformat(),
            "moved": len(moved.elders),
            "not_moved": len(moved.not_moved),
            "told": len(told),
        },
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    canteen.refresh_from_db()
    return Exit(canteen, moved, len(told))
