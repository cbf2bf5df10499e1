"""The only write path for the elder register: each function takes the acting user, runs in
one transaction and records an audit event."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.db import IntegrityError, transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.core import clock, crypto
from tongzhou.core.errors import NotFound, ValidationFailed
from tongzhou.core.masking import mask_id_number, mask_phone
from tongzhou.core.text import ascii_folded
from tongzhou.elders.idnumber import parse_id_number
from tongzhou.elders.models import (
    Category,
    CategoryMembership,
    Elder,
    ElderStatus,
    LivingArrangement,
)
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_path

AUDITED_FIELDS = (
    "name",
    "gender",
    "id_number_masked",
    "birth_date",
    "phone_masked",
    "residence",
    "address",
    "hukou_region",
    "hukou_note",
    "living_arrangement",
    "status",
    "moved_on",
    "died_on",
)
_PHONE = re.compile(r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{7,8})$")


@dataclass
class ElderInput:
    name: str
    id_number: str
    residence: Region
    phone: str = ""
    address: str = ""
    hukou_region: Region | None = None
    hukou_note: str = ""
    living_arrangement: str = LivingArrangement.WITH_FAMILY
    categories: list[Category] = field(default_factory=list)
    categories_from: dt.date | None = None


def id_number_hash(value: str) -> str:
    return crypto.lookup_hash(value, purpose="id_number")


def phone_hash(value: str) -> str:
    return crypto.lookup_hash(value, purpose="phone")


def registered_among(elders: list[Elder]) -> set[str]:
    """The (current) ID-number hashes of those among `elders`, built and not yet saved, whose
    person is already registered, under the current lookup key or the previous one."""
    current_of: dict[str, str] = {}
    for elder in elders:
        number = crypto.decrypt(elder.id_number_encrypted)
        for digest in crypto.lookup_hashes(number, purpose="id_number"):
            current_of[digest] = elder.id_number_hash
    found = Elder.objects.filter(id_number_hash__in=list(current_of)).values_list(
        "id_number_hash", flat=True
    )
    return {current_of[digest] for digest in found}


def is_registered(elder: Elder) -> bool:
    return bool(registered_among([elder]))


def phone_for_notice(elder: Elder) -> str:
    """The elder's own phone, for a notice the platform sends them (empty when unknown)."""
    return crypto.decrypt(elder.phone_encrypted) if elder.phone_encrypted else ""


def normalise_phone(raw: str) -> str:
    phone = ascii_folded(raw)
    if phone and not _PHONE.match(phone):
        raise ValidationFailed(
            "phone_invalid",
            "电话号码格式不正确（手机号11位，或带区号的固定电话）。",
            "The phone number is not valid (11-digit mobile or a landline with area code).",
        )
    return phone


def validate_residence(actor: Any, residence: Region) -> None:
    if residence.level != RegionLevel.VILLAGE:
        raise ValidationFailed(
            "residence_not_village",
            "居住地必须是村或社区。",
            "The residence must be a village or community.",
        )
    if not scope_for(actor).contains_path(residence.path):
        raise ValidationFailed(
            "residence_out_of_scope",
            "该村（社区）不在您的管辖范围内。",
            "That village or community is outside your area.",
        )


def _clean_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 40:
        raise ValidationFailed(
            "name_invalid", "姓名不能为空且不超过40个字。", "The name must be 1-40 characters."
        )
    return name


def _validate_living(value: str) -> str:
    if value not in LivingArrangement.values:
        raise ValidationFailed(
            "living_arrangement_invalid",
            "居住状况不在可选范围内。",
            "The living arrangement is not one of the allowed values.",
        )
    return value


def elder_build(*, actor: Any, data: ElderInput, today: dt.date) -> Elder:
    """Validate `data` and return an unsaved Elder (no database writes)."""
    number = parse_id_number(data.id_number)
    age = today.year - number.birth_date.year
    if number.birth_date > today:
        raise ValidationFailed(
            "id_number_birth_date",
            "身份证号中的出生日期晚于今天。",
            "The birth date inside the ID number is in the future.",
        )
    if age < 50:
        raise ValidationFailed(
            "too_young",
            "登记对象应为老年人（身份证显示年龄不足50岁）。",
            "The register is for older people (the ID number shows under 50 years).",
        )
    validate_residence(actor, data.residence)
    phone = normalise_phone(data.phone)
    return Elder(
        name=_clean_name(data.name),
        gender=number.gender,
        id_number_encrypted=crypto.encrypt(number.value),
        id_number_hash=id_number_hash(number.value),
        id_number_masked=mask_id_number(number.value),
        birth_date=number.birth_date,
        phone_encrypted=crypto.encrypt(phone) if phone else "",
        phone_hash=phone_hash(phone) if phone else "",
        phone_masked=mask_phone(phone),
        residence=data.residence,
        address=data.address.strip()[:120],
        hukou_region=data.hukou_region,
        hukou_note=data.hukou_note.strip()[:80],
        living_arrangement=_validate_living(data.living_arrangement),
    )


def duplicate_error() -> ValidationFailed:
    return ValidationFailed(
        "elder_duplicate",
        "该身份证号已登记，不能重复登记。",
        "A person with this ID number is already registered.",
    )


def _save_new(actor: Any, elder: Elder, data: ElderInput, today: dt.date) -> Elder:
    try:
        with transaction.atomic():
            elder.save()
    except IntegrityError:
        raise duplicate_error() from None
    start = data.categories_from or today
    for category in data.categories:
        CategoryMembership.objects.create(elder=elder, category=category, valid_from=start)
    audit_record(
        actor=actor,
        action="elder.create",
        target=elder,
        after=snapshot(elder, AUDITED_FIELDS)
        | {"categories": sorted(c.code for c in data.categories)},
        scope_path=elder.residence.path,
    )
    return elder


@transaction.atomic
def elder_create(*, actor: Any, data: ElderInput) -> Elder:
    require_cap(actor, Cap.ELDER_EDIT, "登记老年人", "register elders")
    today = clock.today()
    elder = elder_build(actor=actor, data=data, today=today)
    if is_registered(elder):
        raise duplicate_error()
    return _save_new(actor, elder, data, today)


EDITABLE_FIELDS = {
    "name",
    "phone",
    "residence",
    "address",
    "hukou_region",
    "hukou_note",
    "living_arrangement",
}


@transaction.atomic
def elder_update(*, actor: Any, elder: Elder, changes: dict[str, Any]) -> Elder:
    """Change registry fields. The ID number (and so birth date and gender) cannot change:
    a wrong ID number means a wrong person, handled by the bureau, not by an edit."""
    require_cap(actor, Cap.ELDER_EDIT, "修改老年人信息", "change elders")
    elder = _locked_in_scope(actor, elder.pk)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            "field_not_editable",
            f"以下字段不能修改：{', '.join(sorted(unknown))}。",
            f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
        )
    before = snapshot(elder, AUDITED_FIELDS)
    for name, value in changes.items():
        if name == "name":
            elder.name = _clean_name(value)
        elif name == "phone":
            phone = normalise_phone(value)
            elder.phone_encrypted = crypto.encrypt(phone) if phone else ""
            elder.phone_hash = phone_hash(phone) if phone else ""
            elder.phone_masked = mask_phone(phone)
        elif name == "residence":
            validate_residence(actor, value)
            elder.residence = value
        elif name == "living_arrangement":
            elder.living_arrangement = _validate_living(value)
        else:
            setattr(elder, name, value)
    elder.save()
    after = snapshot(elder, AUDITED_FIELDS)
    changed = {k for k in after if after[k] != before[k]}
    audit_record(
        actor=actor,
        action="elder.update",
        target=elder,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        scope_path=elder.residence.path,
    )
    return elder


def _locked_in_scope(actor: Any, elder_id: int) -> Elder:
    elder = (
        Elder.objects.select_for_update()
        .filter(scope_for(actor).region_q("residence__path"), pk=elder_id)
        .first()
    )
    if elder is None:
        raise NotFound("老年人", "elder")
    return elder


@transaction.atomic
def elder_set_status(*, actor: Any, elder: Elder, status: str, on: dt.date | None = None) -> Elder:
    require_cap(actor, Cap.ELDER_EDIT, "修改老年人状态", "change an elder's status")
    elder = _locked_in_scope(actor, elder.pk)
    if status not in ElderStatus.values:
        raise ValidationFailed("status_invalid", "状态不正确。", "Unknown status.")
    if status != ElderStatus.ACTIVE and on is None:
        raise ValidationFailed(
            "status_date_required",
            "迁出或去世需要填写日期。",
            "Moving away or death needs a date.",
        )
    if on is not None and on > clock.today():
        raise ValidationFailed(
            "status_date_future", "日期不能晚于今天。", "The date cannot be in the future."
        )
    before = snapshot(elder, AUDITED_FIELDS)
    elder.status = status
    elder.died_on = on if status == ElderStatus.DECEASED else None
    elder.moved_on = on if status == ElderStatus.MOVED_AWAY else None
    elder.save(update_fields=["status", "died_on", "moved_on", "updated_at"])
    audit_record(
        actor=actor,
        action="elder.status",
        target=elder,
        before=before,
        after=snapshot(elder, AUDITED_FIELDS),
        scope_path=elder.residence.path,
    )
    return elder


@transaction.atomic
def membership_add(
    *,
    actor: Any,
    elder: Elder,
    category: Category,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    note: str = "",
    assessment_level: int | None = None,
) -> CategoryMembership:
    require_cap(actor, Cap.ELDER_EDIT, "认定人员类别", "assign categories")
    if assessment_level is not None and assessment_level not in range(5):
        raise ValidationFailed(
            "assessment_level_invalid",
            "能力评估等级为 0（能力完好）到 4（完全失能）。",
            "The assessment level is 0 (capable) to 4 (completely disabled).",
        )
    elder = _locked_in_scope(actor, elder.pk)
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "membership_range_invalid",
            "结束日期不能早于开始日期。",
            "The end date cannot be before the start date.",
        )
    overlapping = elder.memberships.filter(category=category).exclude(valid_to__lt=valid_from)
    if valid_to is not None:
        overlapping = overlapping.exclude(valid_from__gt=valid_to)
    if overlapping.exists():
        raise ValidationFailed(
            "membership_overlap",
            f"该老人在此期间已属于“{category.name_zh}”类别。",
            f"The elder already belongs to '{category.name_en}' in that period.",
        )
    membership = CategoryMembership.objects.create(
        elder=elder,
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
        assessment_level=assessment_level,
    )
    audit_record(
        actor=actor,
        action="elder.category_add",
        target=elder,
        after=snapshot(
            membership, ("category", "valid_from", "valid_to", "note", "assessment_level")
        )
        | {"category_code": category.code},
        scope_path=elder.residence.path,
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor: Any, membership: CategoryMembership, valid_to: dt.date
) -> CategoryMembership:
    require_cap(actor, Cap.ELDER_EDIT, "调整人员类别", "change categories")
    elder = _locked_in_scope(actor, membership.elder_id)
    membership = elder.memberships.select_related("category").get(pk=membership.pk)
    if valid_to < membership.valid_from:
        raise ValidationFailed(
            "membership_range_invalid",
            "结束日期不能早于开始日期。",
            "The end date cannot be before the start date.",
        )
    before = snapshot(membership, ("category", "valid_from", "valid_to"))
    membership.valid_to = valid_to
    membership.save(update_fields=["valid_to"])
    audit_record(
        actor=actor,
        action="elder.category_end",
        target=elder,
        before=before | {"category_code": membership.category.code},
        after=snapshot(membership, ("category", "valid_from", "valid_to"))
        | {"category_code": membership.category.code},
        scope_path=elder.residence.path,
    )
    return membership


@dataclass(frozen=True)
class RevealedIdentity:
    id_number: str
    phone: str


@transaction.atomic
def elder_reveal(*, actor: Any, elder: Elder, reason: str) -> RevealedIdentity:
    """Decrypt the full ID number and phone for a role that needs them; every look is logged."""
    require_cap(actor, Cap.ELDER_REVEAL, "查看完整身份证号", "see full ID numbers")
    require_elder_in_scope(actor=actor, elder=elder)
    if not reason.strip():
        raise ValidationFailed(
            "reason_required", "查看完整信息需要填写事由。", "Give a reason to see full details."
        )
    audit_record(
        actor=actor,
        action="elder.reveal",
        target=elder,
        after={"reason": reason.strip()[:200]},
        scope_path=elder.residence.path,
    )
    return RevealedIdentity(
        id_number=crypto.decrypt(elder.id_number_encrypted),
        phone=crypto.decrypt(elder.phone_encrypted) if elder.phone_encrypted else "",
    )


@transaction.atomic
def elders_bulk_load(
    *,
    actor: Any,
    elders: list[Elder],
    categories: list[list[tuple[Category, dt.date]]],
    label: str,
) -> int:
    """Load many already-validated elders at once (demo data, migrations from old systems).

    One audit event covers the batch: per-row events would double the cost of a city-sized
    load and add nothing the batch record does not say.
    """
    require_cap(actor, Cap.ELDER_EDIT, "批量导入老年人", "bulk-load elders")
    if not getattr(actor, "is_superuser", False):
        raise ValidationFailed(
            "bulk_load_superuser_only",
            "批量装载只能由平台管理员执行。",
            "Only a platform administrator may bulk-load elders.",
        )
    batch = 5000
    created = 0
    for start in range(0, len(elders), batch):
        chunk = Elder.objects.bulk_create(elders[start : start + batch])
        memberships = [
            CategoryMembership(elder=elder, category=category, valid_from=since)
            for elder, assigned in zip(chunk, categories[start : start + batch], strict=True)
            for category, since in assigned
        ]
        CategoryMembership.objects.bulk_create(memberships, batch_size=batch)
        created += len(chunk)
    if created:
        audit_record(
            actor=actor,
            action="elder.bulk_load",
            target=elders[0],
            after={"label": label, "elders": created},
            scope_path=city_path(),
        )
    return created


ENCRYPTED_FIELDS = ("id_number_encrypted", "phone_encrypted")


def elders_reencrypt(*, after_pk: int = 0, batch_size: int = 2000) -> tuple[int, int | None]:
    """Re-encrypt the next batch of elders' ID numbers and phones under the first field key
    (after a key is added); returns (rows changed, last id read, None when done)."""
    rows = list(
        Elder.objects.filter(pk__gt=after_pk).order_by("pk").only(*ENCRYPTED_FIELDS)[:batch_size]
    )
    changed = crypto.rotate_rows(rows, text_fields=ENCRYPTED_FIELDS)
    with transaction.atomic():
        Elder.objects.bulk_update(changed, ENCRYPTED_FIELDS)
    return len(changed), rows[-1].pk if rows else None


def elders_rehash(*, after_pk: int = 0, batch_size: int = 2000) -> tuple[int, int | None]:
    """Rewrite the next batch of elders' ID-number and phone lookup hashes under the current
    lookup key (a rotation: the previous key is still matched meanwhile); returns (rows
    changed, last id read, None when done)."""
    rows = list(
        Elder.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .only("id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash")[:batch_size]
    )
    changed = []
    for elder in rows:
        phone = crypto.decrypt(elder.phone_encrypted) if elder.phone_encrypted else ""
        wanted = (
            id_number_hash(crypto.decrypt(elder.id_number_encrypted)),
            phone_hash(phone) if phone else "",
        )
        if wanted != (elder.id_number_hash, elder.phone_hash):
            elder.id_number_hash, elder.phone_hash = wanted
            changed.append(elder)
    with transaction.atomic():
        Elder.objects.bulk_update(changed, ["id_number_hash", "phone_hash"])
    return len(changed), rows[-1].pk if rows else None


def elders_readable() -> bool:
    """Whether the configured field keys read the stored personal data (one elder tried)."""
    sample = Elder.objects.order_by("pk").values_list("id_number_encrypted", flat=True).first()
    if sample is None:
        return True
    try:
        crypto.decrypt(sample)
    except InvalidToken:
        return False
    return True
