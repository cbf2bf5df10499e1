"""Every write of the board: the catalogue loaded, computed values recomputed, reported values
entered with evidence and approved level by level (town → district → city; a district approves
only once its towns have; the city's approval locks the value), each audited."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, level_of, require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.board import calc
from tongzhou.board.models import (
    DataValue,
    Evidence,
    Indicator,
    Target,
    ValueOrigin,
    ValueStatus,
)
from tongzhou.board.registry import REGISTRY, compute
from tongzhou.core import clock, periods
from tongzhou.core.errors import Conflict, NotFound, ValidationFailed
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_code

CATALOGUE = Path(__file__).resolve().parent / "data" / "indicators.csv"
REPORT_PERIOD = "2023S1"  # the bureau's half-year report the catalogue's figures come from
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@transaction.atomic
def catalogue_load(*, actor: Any = None) -> int:
    """The shipped catalogue, where it is missing (what the bureau has edited is kept): the
    indicators, the report's 2023 first-half figures as a loaded period for the city, and the
    year's targets the report gives. Returns the indicators added."""
    city = Region.objects.get(code=city_code())
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    added_count = 0
    for order, row in enumerate(rows):
        indicator, added = Indicator.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "definition": row["definition"],
                "group": row["group"],
                "measure": row["measure"],
                "direction": row["direction"],
                "unit_label": row["unit_label"],
                "function": row["function"],
                "period_type": row["period_type"],
                "responsible_unit": row["responsible_unit"],
                "provenance": row["provenance"],
                "sort_order": order,
            },
        )
        added_count += added
        value = _number(row["value_2023s1"])
        if value is not None:
            DataValue.objects.get_or_create(
                indicator=indicator,
                region=city,
                period_id=REPORT_PERIOD,
                defaults={
                    "numerator": _number(row["numerator_2023s1"]),
                    "denominator": _number(row["denominator_2023s1"]),
                    "value": value,
                    "origin": ValueOrigin.LOADED,
                    "status": ValueStatus.APPROVED,
                    "note": "2023年上半年工作总结",
                },
            )
        target = _number(row["target_2023"])
        if target is not None:
            Target.objects.get_or_create(
                indicator=indicator,
                region=city,
                period_id="2023",
                defaults={"value": target, "source": row["target_source"]},
            )
    audit_record(
        actor=actor,
        actor_label="" if actor else "system",
        action="board.catalogue",
        target=city,
        after={"indicators_added": added_count},
        scope_path=city.path,
    )
    return added_count


def _rolled_up(figures: dict[str, tuple[float, float | None]]) -> dict[str, list[float | None]]:
    """Each path's figures added into every unit above it (sums of numerators and of
    denominators, never an average of rates)."""
    sums: dict[str, list[float | None]] = defaultdict(lambda: [0.0, None])
    for path, (num, den) in figures.items():
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            entry = sums["/".join(parts[:depth]) + "/"]
            entry[0] = (entry[0] or 0.0) + num
            if den is not None:
                entry[1] = (entry[1] or 0.0) + den
    return sums


def board_recompute(*, day: dt.date | None = None, codes: list[str] | None = None) -> int:
    """Every computed indicator's value for every unit (city, district, town, village) for
    the period of its type holding `day`. Returns the values written."""
    day = day or clock.today()
    units = list(Region.objects.values_list("pk", "path", "level"))
    indicators = Indicator.objects.filter(is_active=True).exclude(function="")
    if codes:
        indicators = indicators.filter(code__in=codes)
    written = 0
    stamp = clock.now()
    for indicator in indicators:
        if indicator.function not in REGISTRY:
            continue
        period_id = periods.period_of(indicator.period_type, day)
        sums = _rolled_up(compute(indicator.function, period_id))
        levels = REGISTRY[indicator.function].levels
        rows = []
        for pk, path, level in units:
            if level not in levels:
                continue
            num, den = sums.get(path, [0.0, None])
            needs_den = indicator.measure in ("percent", "per_10k")
            rows.append(
                DataValue(
                    indicator=indicator,
                    region_id=pk,
                    period_id=period_id,
                    numerator=num,
                    denominator=den if needs_den else None,
                    value=calc.value_of(num, den, indicator.measure),
                    origin=ValueOrigin.COMPUTED,
                    status=ValueStatus.APPROVED,
                    updated_at=stamp,
                )
            )
        with transaction.atomic():
            DataValue.objects.bulk_create(
                rows,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["indicator", "region", "period_id"],
                update_fields=[
                    "numerator",
                    "denominator",
                    "value",
                    "origin",
                    "status",
                    "updated_at",
                ],
            )
        written += len(rows)
    return written


# --- reported values ----------------------------------------------------------------------


def _reported(indicator_code: str) -> Indicator:
    indicator = Indicator.objects.filter(code=indicator_code, is_active=True).first()
    if indicator is None:
        raise NotFound("指标", "indicator")
    if indicator.is_computed:
        raise Conflict(
            "board_value_computed",
            "该指标由平台自动计算，无需填报。",
            "This indicator is computed by the platform; nothing to report.",
        )
    return indicator


def _in_scope(actor: Any, region: Region) -> None:
    if not scope_for(actor).contains_path(region.path):
        raise NotFound("单位", "unit")


@transaction.atomic
def value_report(
    *,
    actor: Any,
    indicator_code: str,
    region: Region,
    period_id: str,
    numerator: float | None,
    denominator: float | None = None,
    note: str = "",
    files: list[UploadedFile] | None = None,
) -> DataValue:
    """A unit enters (or corrects, until approved) its value, with its evidence, and submits
    it for approval."""
    require_cap(actor, Cap.BOARD_REPORT, "填报指标", "report indicator values")
    indicator = _reported(indicator_code)
    _in_scope(actor, region)
    if region.pk != getattr(actor, "region_id", None):
        # The unit that answers for a figure enters it; whoever approves it never did.
        raise Conflict(
            "board_value_not_own_unit",
            "只能填报本单位的数值，下级单位的数值由其自行填报、由本单位审核。",
            "A unit reports its own value; its units below report theirs for it to approve.",
        )
    try:
        periods.bounds(period_id)
    except ValueError:
        raise ValidationFailed("board_period_invalid", "期间格式不对。", "Not a period.") from None
    if numerator is None or numerator < 0 or (denominator is not None and denominator <= 0):
        raise ValidationFailed(
            "board_value_invalid",
            "请填写不小于0的数值（分母须大于0）。",
            "Give a value of 0 or more (a denominator above 0).",
        )
    if indicator.measure in ("percent", "per_10k") and denominator is None:
        raise ValidationFailed(
            "board_denominator_missing",
            "比率指标须同时填写分子和分母。",
            "A rate needs both its numerator and denominator.",
        )
    found = (
        DataValue.objects.select_for_update()
        .filter(indicator=indicator, region=region, period_id=period_id)
        .first()
    )
    if found is not None and found.status in (ValueStatus.DISTRICT_APPROVED, ValueStatus.APPROVED):
        raise Conflict(
            "board_value_locked",
            "该数值已审核通过，不能再修改。",
            "This value is approved and locked.",
        )
    value = found or DataValue(
        indicator=indicator, region=region, period_id=period_id, origin=ValueOrigin.REPORTED
    )
    value.numerator, value.denominator = numerator, denominator
    value.value = calc.value_of(numerator, denominator, indicator.measure)
    value.note, value.entered_by, value.updated_at = note.strip()[:300], actor, clock.now()
    value.status = ValueStatus.SUBMITTED
    value.save()
    for upload in files or []:
        if upload.size and upload.size > MAX_EVIDENCE_BYTES:
            raise ValidationFailed(
                "board_evidence_too_large",
                "佐证材料不能超过10MB。",
                "Evidence files may be up to 10 MB.",
            )
        Evidence.objects.create(
            value=value, file=upload, name=upload.name or "佐证材料", uploaded_by=actor
        )
    audit_record(
        actor=actor,
        action="board.value.report",
        target=value,
        after={"value": value.value, "period": period_id, "files": len(files or [])},
        scope_path=region.path,
    )
    return value


def _value_locked(actor: Any, value_id: int) -> DataValue:
    value = (
        DataValue.objects.select_for_update(of=("self",))
        .select_related("region", "indicator")
        .filter(pk=value_id)
        .first()
    )
    if value is None or not scope_for(actor).contains_path(value.region.path):
        raise NotFound("指标数值", "value")
    return value


def _wrong_step(value: DataValue) -> Conflict:
    return Conflict(
        "board_value_wrong_step",
        f"该数值当前为“{value.get_status_display()}”，不能进行此操作。",
        f"The value is '{value.status}'; this step does not apply.",
    )


@transaction.atomic
def value_approve(*, actor: Any, value_id: int) -> DataValue:
    """The district approves its towns' values (and its own once every town's is approved);
    the city approves a district's and locks it."""
    require_cap(actor, Cap.BOARD_APPROVE, "审核指标数值", "approve indicator values")
    value = _value_locked(actor, value_id)
    level = level_of(actor)
    if level == RegionLevel.DISTRICT and value.status == ValueStatus.SUBMITTED:
        if value.region.level == RegionLevel.DISTRICT:
            waiting = DataValue.objects.filter(
                indicator=value.indicator,
                period_id=value.period_id,
                region__path__startswith=value.region.path,
                region__level=RegionLevel.TOWN,
            ).exclude(status__in=[ValueStatus.DISTRICT_APPROVED, ValueStatus.APPROVED])
            if waiting.exists():
                raise Conflict(
                    "board_towns_waiting",
                    "辖区内还有镇（街道）的数值未审核，请先审核。",
                    "Approve the towns' values first.",
                )
        value.status = ValueStatus.DISTRICT_APPROVED
    elif level == RegionLevel.CITY and value.status in (
        ValueStatus.DISTRICT_APPROVED,
        ValueStatus.SUBMITTED,
    ):
        if value.status == ValueStatus.SUBMITTED and value.region.level != RegionLevel.CITY:
            raise _wrong_step(value)  # a district approves its own first
        value.status = ValueStatus.APPROVED
    else:
        raise _wrong_step(value)
    value.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="board.value.approve",
        target=value,
        after={"status": value.status},
        scope_path=value.region.path,
    )
    return value


@transaction.atomic
def value_return(*, actor: Any, value_id: int, reason: str) -> DataValue:
    """Sent back to the unit with the reason (not once the city has locked it)."""
    require_cap(actor, Cap.BOARD_APPROVE, "退回指标数值", "send values back")
    value = _value_locked(actor, value_id)
    if value.status not in (ValueStatus.SUBMITTED, ValueStatus.DISTRICT_APPROVED):
        raise _wrong_step(value)
    if not reason.strip():
        raise ValidationFailed("reason_required", "请填写退回原因。", "Give a reason.")
    value.status, value.note = ValueStatus.RETURNED, reason.strip()[:300]
    value.save(update_fields=["status", "note"])
    audit_record(
        actor=actor,
        action="board.value.return",
        target=value,
        after={"reason": value.note},
        scope_path=value.region.path,
    )
    return value


def may_report(actor: Any, region: Region) -> bool:
    return has_cap(actor, Cap.BOARD_REPORT) and region.pk == getattr(actor, "region_id", None)
