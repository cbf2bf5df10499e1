"""The discovery scan (every active rule over the platform's signals, new cases only where
no case of the rule is open for the elder) and a worker's review of a case."""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, NotFound, ValidationFailed
from tongzhou.discovery import signals
from tongzhou.discovery.models import DiscoveryCase, DiscoveryRule, Outcome
from tongzhou.elders.models import Elder

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    hits: dict[str, int] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def discovery_scan(*, day: dt.date) -> ScanResult:
    """Run every active rule for `day`. A rule whose elder already has an open case of it
    adds nothing (the partial unique index holds it, even under a concurrent scan)."""
    result = ScanResult()
    for rule in DiscoveryRule.objects.filter(is_active=True):
        started = time.perf_counter()
        try:
            hits = signals.run(rule.signal, day, rule.params)
        except (TypeError, ValueError):
            # A rule edited into nonsense must not stop the others; its count says so.
            log.exception("discovery rule %s could not run", rule.code)
            result.hits[rule.code] = result.opened[rule.code] = -1
            continue
        ids = list(hits)
        villages: dict[int, int] = {}
        for start in range(0, len(ids), 5000):  # within any database's limit of parameters
            villages.update(
                Elder.objects.filter(pk__in=ids[start : start + 5000]).values_list(
                    "pk", "residence_id"
                )
            )
        already = set(
            DiscoveryCase.objects.filter(rule=rule, reviewed_at__isnull=True).values_list(
                "elder_id", flat=True
            )
        )
        new = [
            DiscoveryCase(
                elder_id=elder_id,
                village_id=villages[elder_id],
                rule=rule,
                found_on=day,
                evidence=[list(pair) for pair in evidence],
            )
            for elder_id, evidence in hits.items()
            if elder_id not in already and elder_id in villages
        ]
        with transaction.atomic():
            DiscoveryCase.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        result.hits[rule.code] = len(hits)
        result.opened[rule.code] = len(new)
        result.seconds[rule.code] = time.perf_counter() - started
    return result


def rule_check(rule: DiscoveryRule) -> None:
    """A rule's parameters must be ones its signal takes, as numbers or lists of codes."""
    accepted = set(inspect.signature(signals.SIGNALS[rule.signal]).parameters) - {"day"}
    params = rule.params if isinstance(rule.params, dict) else None
    unknown = sorted(set(params or {}) - accepted) if params is not None else ["?"]
    if unknown:
        raise ValidationFailed(
            "discovery_params_invalid",
            f"参数须为以下几项：{'、'.join(sorted(accepted)) or '（无）'}；"
            f"不认识：{'、'.join(unknown)}。",
            f"Parameters must be among: {', '.join(sorted(accepted)) or '(none)'}; "
            f"unknown: {', '.join(unknown)}.",
        )


@transaction.atomic
def discovery_review(*, actor: Any, case_id: int, outcome: str, note: str) -> DiscoveryCase:
    """The worker records what was done. Nothing is granted here: an application for
    assistance or a service is made through its own page."""
    require_cap(actor, Cap.DISCOVERY_REVIEW, "处理主动发现线索", "review discovery cases")
    case = (
        DiscoveryCase.objects.select_for_update(of=("self",))
        .select_related("village", "rule")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not scope_for(actor).contains_path(case.village.path):
        raise NotFound("主动发现线索", "discovery case")
    if case.reviewed_at is not None:
        raise Conflict("discovery_case_closed", "这条线索已经处理过了。", "Already reviewed.")
    if outcome not in Outcome.values:
        raise ValidationFailed(
            "discovery_outcome_invalid", "请选择处理结果。", "Choose an outcome."
        )
    if outcome != Outcome.NOT_NEEDED and not note.strip():
        raise ValidationFailed("discovery_note_missing", "请写明做了什么。", "Say what was done.")
    before = snapshot(case, ["outcome", "note"])
    case.outcome, case.note = outcome, note.strip()[:200]
    case.reviewed_by, case.reviewed_at = actor, clock.now()
    case.save(update_fields=["outcome", "note", "reviewed_by", "reviewed_at"])
    audit_record(
        actor=actor,
        action="discovery.review",
        target=case,
        before=before,
        after=snapshot(case, ["outcome", "note"]) | {"rule": case.rule.code},
        scope_path=case.village.path,
    )
    return case
