"""Every write of the caring visits: the schedule, urgent visits after a major change, the
record of a visit with its findings, follow-ups, and escalation of overdue visits."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.care.facts import facts_for
from tongzhou.care.rules import GroupRule
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, NotFound, ValidationFailed
from tongzhou.core.notify import Message, notify
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.geo.models import Region
from tongzhou.visits.models import (
    REMOTE_METHODS,
    SECTIONS,
    FollowUp,
    ScheduledVisit,
    VisitMethod,
    VisitReason,
    VisitRecord,
    VisitStatus,
    VisitTier,
)
from tongzhou.visits.schedule import TierRule, tier_of, window

FOLLOW_UP_DAYS = 7
SECTION_NAMES = {
    "health": "健康状况",
    "economy": "经济状况",
    "family": "家庭赡养",
    "safety": "居家安全",
    "needs": "服务需求",
}


def tier_rules() -> list[TierRule]:
    return [
        TierRule(
            code=t.code,
            frequency=t.frequency,
            rule=GroupRule(
                code=t.code,
                name=t.name_zh,
                min_age=t.min_age,
                categories=tuple(t.categories),
                living=tuple(t.living),
                min_assessment_level=t.min_assessment_level,
            ),
        )
        for t in VisitTier.objects.filter(is_active=True).order_by("priority")
    ]


@dataclass
class ScheduleResult:
    created: int = 0
    cancelled: int = 0
    by_tier: Counter[str] = field(default_factory=Counter)


def visits_schedule(
    *, day: dt.date, elder_ids: Iterable[int] | None = None, batch: int = 5000
) -> ScheduleResult:
    """Owe each elder in a tier the visit of the period holding `day`. An elder whose tier
    changed has the open routine visit of the old tier cancelled and one of the new tier
    made. Generated for the current period only (a bounded horizon)."""
    tiers = tier_rules()
    tier_ids = dict(VisitTier.objects.values_list("code", "pk"))
    ids = (
        list(elder_ids)
        if elder_ids is not None
        else list(
            Elder.objects.filter(status=ElderStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
    result = ScheduleResult()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            _schedule_batch(chunk, tiers, tier_ids, day, result)
    return result


def _schedule_batch(
    ids: list[int],
    tiers: list[TierRule],
    tier_ids: dict[str, int],
    day: dt.date,
    result: ScheduleResult,
) -> None:
    facts = facts_for(ids)
    villages = dict(Elder.objects.filter(pk__in=ids).values_list("pk", "residence_id"))
    current: dict[int, ScheduledVisit] = {
        v.elder_id: v
        for v in ScheduledVisit.objects.filter(
            elder_id__in=ids, reason=VisitReason.ROUTINE, status=VisitStatus.OPEN
        )
    }
    wanted: list[ScheduledVisit] = []
    cancel: list[int] = []
    for elder_id in ids:
        tier = tier_of(facts[elder_id], tiers, day) if elder_id in facts else None
        have = current.get(elder_id)
        if tier is None:
            continue
        slot = window(tier.frequency, day)
        if have is not None and have.tier_id == tier_ids[tier.code] and have.closes >= day:
            continue
        if have is not None and have.tier_id != tier_ids[tier.code]:
            cancel.append(have.pk)  # the tier changed: the new tier's visit replaces it
        result.by_tier[tier.code] += 1
        wanted.append(
            ScheduledVisit(
                elder_id=elder_id,
                village_id=villages[elder_id],
                tier_id=tier_ids[tier.code],
                reason=VisitReason.ROUTINE,
                period_id=slot.period_id,
                due=slot.due,
                opens=slot.opens,
                closes=slot.closes,
            )
        )
    if cancel:
        result.cancelled += ScheduledVisit.objects.filter(pk__in=cancel).update(
            status=VisitStatus.CANCELLED, note="风险等级调整，按新等级重新安排"
        )
    made = ScheduledVisit.objects.bulk_create(wanted, ignore_conflicts=True)
    result.created += len(made)


def _in_scope(actor: Any, elder: Elder) -> None:
    if not scope_for(actor).contains_path(elder.residence.path):
        raise NotFound("老年人", "elder")


@transaction.atomic
def visit_urgent(*, actor: Any, elder: Elder, why: str) -> ScheduledVisit:
    """A major change (a spouse's death, a discharge from hospital, a typhoon warning): a
    visit due within 24 hours, whatever the elder's tier."""
    require_cap(actor, Cap.VISIT_RECORD, "安排探访", "arrange visits")
    _in_scope(actor, elder)
    if not why.strip():
        raise ValidationFailed(
            "visit_reason_missing", "请写明发生了什么变故。", "Say what changed."
        )
    tier = VisitTier.objects.filter(is_active=True).order_by("priority").first()
    if tier is None:
        raise ValidationFailed(
            "visit_no_tiers", "尚未设置探访风险等级。", "No visit tiers are set."
        )
    today = clock.today()
    visit = ScheduledVisit.objects.create(
        elder=elder,
        village=elder.residence,
        tier=tier,
        reason=VisitReason.MAJOR_CHANGE,
        period_id=today.strftime("%Y%m%d"),
        due=today + dt.timedelta(days=1),
        opens=today,
        closes=today + dt.timedelta(days=1),
        note=why.strip()[:120],
        assigned_to=actor,
    )
    audit_record(
        actor=actor,
        action="visit.urgent",
        target=visit,
        after={"why": visit.note},
        scope_path=elder.residence.path,
    )
    return visit


@dataclass(frozen=True)
class Finding:
    section: str
    text: str


def _section(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    return {"ok": bool(raw.get("ok", True)), "note": str(raw.get("note", ""))[:300]}


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    visit_id: int,
    method: str,
    sections: dict[str, dict[str, Any]],
    findings: Sequence[Finding] = (),
    resolved: dict[int, str] | None = None,
    position: tuple[float, float] | None = None,
) -> VisitRecord:
    """Record a scheduled visit. A visit after its window is accepted and marked late; each
    finding opens a follow-up with a return visit; a return visit may close follow-ups."""
    require_cap(actor, Cap.VISIT_RECORD, "登记探访", "record visits")
    visit = (
        ScheduledVisit.objects.select_for_update(of=("self",))
        .select_related("elder__residence", "tier")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound("探访任务", "visit")
    _in_scope(actor, visit.elder)
    if visit.status not in (VisitStatus.OPEN, VisitStatus.MISSED):
        raise Conflict(
            "visit_state",
            "这次探访已经登记过或已取消。",
            "This visit is already recorded or cancelled.",
        )
    if method not in VisitMethod.values:
        raise ValidationFailed(
            "visit_method_invalid", "请选择探访方式。", "Choose how you visited."
        )
    if method in REMOTE_METHODS and not visit.tier.remote_counts and visit.reason != "return":
        raise ValidationFailed(
            "visit_must_be_in_person",
            f"“{visit.tier.name_zh}”须上门探访，电话或视频不算。",
            f"Tier '{visit.tier.name_en}' needs a visit in person; a call does not count.",
        )
    now = clock.now()
    today = timezone.localdate(now)
    if today < visit.opens:
        raise ValidationFailed(
            "visit_not_open", "这次探访还没到时间。", "This visit is not open yet."
        )
    for finding in findings:
        if finding.section not in SECTIONS or not finding.text.strip():
            raise ValidationFailed(
                "visit_finding_invalid", "请写明发现的问题。", "Describe each finding."
            )
    late = today > visit.closes
    record = VisitRecord.objects.create(
        elder=visit.elder,
        scheduled=visit,
        visitor=actor,
        method=method,
        visited_at=now,
        business_date=today,
        late=late,
        lon=position[0] if position else None,
        lat=position[1] if position else None,
        **{name: _section(sections.get(name)) for name in SECTIONS},
        summary="；".join(f"{SECTION_NAMES[f.section]}：{f.text.strip()}" for f in findings)[:300],
    )
    visit.status = VisitStatus.DONE_LATE if late else VisitStatus.DONE
    visit.save(update_fields=["status"])
    for finding in findings:
        due = today + dt.timedelta(days=FOLLOW_UP_DAYS)
        back = ScheduledVisit.objects.create(
            elder=visit.elder,
            village=visit.village,
            tier=visit.tier,
            reason=VisitReason.RETURN,
            period_id=due.strftime("%Y%m%d"),
            due=due,
            opens=today + dt.timedelta(days=1),
            closes=due,
            note=f"回访：{finding.text.strip()[:100]}",
            assigned_to=actor,
        )
        FollowUp.objects.create(
            elder=visit.elder,
            village=visit.village,
            opened_by=record,
            section=finding.section,
            finding=finding.text.strip()[:200],
            owner=actor,
            due=due,
            return_visit=back,
        )
    for follow_up_id, outcome in (resolved or {}).items():
        follow_up = FollowUp.objects.filter(
            pk=follow_up_id, elder=visit.elder, closed_at__isnull=True
        ).first()
        if follow_up is None:
            raise NotFound("跟进事项", "follow-up")
        if not outcome.strip():
            raise ValidationFailed(
                "visit_outcome_missing", "请写明问题是怎样解决的。", "Say how it was resolved."
            )
        follow_up.closed_by, follow_up.closed_at = record, now
        follow_up.outcome = outcome.strip()[:200]
        follow_up.save(update_fields=["closed_by", "closed_at", "outcome"])
    audit_record(
        actor=actor,
        action="visit.record",
        target=record,
        after=snapshot(record, ["method", "late", "summary"])
        | {"findings": len(findings), "resolved": sorted(resolved or {})},
        scope_path=visit.elder.residence.path,
    )
    return record


def visits_escalate(*, day: dt.date) -> int:
    """Visits whose window closed before `day` unrecorded become overdue, and the town's
    officers hear how many in each village (once per visit)."""
    with transaction.atomic():
        overdue = ScheduledVisit.objects.filter(status=VisitStatus.OPEN, closes__lt=day)
        per_village = Counter(
            dict(
                overdue.order_by()
                .values("village_id")
                .annotate(n=Count("pk"))
                .values_list("village_id", "n")
            )
        )
        if not per_village:
            return 0
        escalated = overdue.update(status=VisitStatus.MISSED, escalated_at=clock.now())
        villages = Region.objects.select_related("parent").in_bulk(list(per_village))
        per_town: dict[int | None, list[str]] = defaultdict(list)
        for village_id, count in per_village.items():
            village = villages[village_id]
            per_town[village.parent_id].append(f"{village.name}{count}人")
        officers = User.objects.filter(
            role=Role.TOWN_OFFICER, region_id__in=list(per_town), is_active=True
        )
        notify(
            [
                Message(
                    to_name=str(officer),
                    to_phone=officer.phone,
                    text=f"【同舟】有探访逾期未完成：{'、'.join(per_town[officer.region_id][:5])}，请督促。",
                    kind="visit_overdue",
                    link="/visits/",
                )
                for officer in officers
            ]
        )
    return escalated
