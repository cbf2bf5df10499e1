"""The review queue and the month's counts per rule and outcome, within the actor's area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.care.rules import period_bounds
from tongzhou.discovery.models import DiscoveryCase, DiscoveryRule, Outcome


def cases_visible_to(actor: Any) -> QuerySet[DiscoveryCase]:
    require_cap(actor, Cap.DISCOVERY_REVIEW, "查看主动发现线索", "see discovery cases")
    return DiscoveryCase.objects.filter(scope_for(actor).region_q("village__path"))


def queue(actor: Any) -> QuerySet[DiscoveryCase]:
    """Open cases, the most severe and then the oldest first."""
    rank = Case(
        When(rule__severity="high", then=Value(0)),
        When(rule__severity="medium", then=Value(1)),
        default=Value(2),
    )
    return (
        cases_visible_to(actor)
        .filter(reviewed_at__isnull=True)
        .select_related("elder", "village", "rule")
        .order_by(rank, "found_on", "pk")
    )


def month_counts(actor: Any, month: dt.date) -> list[dict[str, Any]]:
    """Per rule: cases found in the month, and how those reviewed were closed."""
    first, last = period_bounds("month", month)
    found = cases_visible_to(actor).filter(found_on__range=(first, last))
    counts = {
        row["rule_id"]: row
        for row in found.order_by()
        .values("rule_id")
        .annotate(
            found=Count("pk"),
            open=Count("pk", filter=Q(reviewed_at__isnull=True)),
            **{o: Count("pk", filter=Q(outcome=o)) for o in Outcome.values},
        )
    }
    empty = {"found": 0, "open": 0, **dict.fromkeys(Outcome.values, 0)}
    return [
        {"rule": rule, **(counts.get(rule.pk) or empty)}
        for rule in DiscoveryRule.objects.order_by("code")
    ]
