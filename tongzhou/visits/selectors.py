"""Reads of the caring visits, each narrowed to the actor's area: the day's due list,
follow-ups still open, and the visit rate per area and month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.care.rules import period_bounds
from tongzhou.core.errors import NotFound
from tongzhou.geo.models import Region
from tongzhou.visits.models import FollowUp, ScheduledVisit, VisitRecord, VisitStatus


def visits_visible_to(actor: Any) -> QuerySet[ScheduledVisit]:
    require_cap(actor, Cap.VISIT_RECORD, "查看探访", "see visits")
    return ScheduledVisit.objects.filter(scope_for(actor).region_q("village__path"))


def due_list(actor: Any, day: dt.date) -> QuerySet[ScheduledVisit]:
    """What is owed today: open visits whose window holds the day, and overdue ones, the
    overdue and the most urgent first."""
    return (
        visits_visible_to(actor)
        .filter(Q(status=VisitStatus.OPEN, opens__lte=day) | Q(status=VisitStatus.MISSED))
        .select_related("elder", "village", "tier", "assigned_to")
        .order_by("closes", "due", "pk")
    )


def due_count(day: dt.date, path: str = "") -> int:
    """The same list counted for an area (the benchmark's figure)."""
    found = ScheduledVisit.objects.filter(
        Q(status=VisitStatus.OPEN, opens__lte=day) | Q(status=VisitStatus.MISSED)
    )
    if path:
        found = found.filter(village__path__startswith=path)
    return found.count()


def visit_get(actor: Any, visit_id: int) -> ScheduledVisit:
    visit = (
        visits_visible_to(actor)
        .select_related("elder__residence", "tier")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound("探访任务", "visit")
    return visit


def open_follow_ups(actor: Any, *, elder_id: int | None = None) -> QuerySet[FollowUp]:
    require_cap(actor, Cap.VISIT_RECORD, "查看跟进事项", "see follow-ups")
    found = FollowUp.objects.filter(
        scope_for(actor).region_q("village__path"), closed_at__isnull=True
    ).select_related("elder", "owner", "village")
    return found.filter(elder_id=elder_id) if elder_id else found


def recent_records(elder_id: int) -> QuerySet[VisitRecord]:
    return VisitRecord.objects.filter(elder_id=elder_id).select_related("visitor")[:5]


@dataclass(frozen=True)
class AreaRate:
    region: Region
    due: int
    visited: int

    @property
    def rate(self) -> float | None:
        """Visited ÷ due; None (no figure, never 0 %) when nobody was due."""
        return self.visited / self.due if self.due else None


def due_and_visited(first: dt.date, last: dt.date, path: str = "") -> Any:
    """Per village (`village__path`): the elders due a visit that counts for the rate (a
    weekly or monthly tier, or an urgent visit) whose visit falls in the period, and those of
    them visited in it (`due`, `visited`). The board's visit rate reads the same counts."""
    due_visits = (
        ScheduledVisit.objects.filter(due__range=(first, last), village__path__startswith=path)
        .exclude(status=VisitStatus.CANCELLED)
        .exclude(reason="return")
        .exclude(tier__frequency="quarter")
    )
    return (
        due_visits.order_by()
        .values("village__path")
        .annotate(
            due=Count("elder", distinct=True),
            visited=Count(
                "elder",
                distinct=True,
                filter=Q(
                    status__in=[VisitStatus.DONE, VisitStatus.DONE_LATE],
                    record__business_date__range=(first, last),
                ),
            ),
        )
    )


def visit_rates(
    actor: Any, month: dt.date
) -> tuple[Region | None, list[AreaRate], AreaRate | None]:
    """The 月探访率 of the month holding `month`, per area one level below the actor's: the
    elders due a visit (a weekly or monthly tier, or an urgent visit) whose visit falls in
    the month, and those of them visited in it. Rates add up by summing the counts, never
    by averaging percentages."""
    require_cap(actor, Cap.VISIT_RECORD, "查看探访率", "see visit rates")
    first, last = period_bounds("month", month)
    scope = scope_for(actor)
    top = (
        Region.objects.filter(path=scope.region_path).first()
        if scope.region_path
        else Region.objects.filter(level="city").first()
    )
    if top is None:
        return None, [], None
    assert last is not None  # a month always ends
    rows = due_and_visited(first, last, top.path)
    children = list(Region.objects.filter(parent=top).order_by("path")) or [top]
    totals = {child.pk: [0, 0] for child in children}
    for row in rows:
        for child in children:
            if row["village__path"].startswith(child.path):
                totals[child.pk][0] += row["due"]
                totals[child.pk][1] += row["visited"]
                break
    areas = [AreaRate(child, *totals[child.pk]) for child in children]
    whole = AreaRate(top, sum(a.due for a in areas), sum(a.visited for a in areas))
    return top, areas, whole
