"""Every write of the service network's own work: the mobile teams' month planned, and each
visit recorded. (Facilities, plans, links and profiles are reference data, saved through the
back office's audited reference writer.) Each takes the acting user, runs in one transaction
and records an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, NotFound, PermissionDenied
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.network import rota
from tongzhou.network.models import Link, RotaVisit
from tongzhou.network.selectors import island_rows, tier_rule
from tongzhou.network.tiers import Tier


def month_id(month: dt.date) -> str:
    return f"{month:%Y%m}"


@transaction.atomic
def rota_plan(*, actor: Any, month: dt.date) -> list[rota.Plan]:
    """Plan the month for each county's mobile team inside the actor's area (a district or the
    city): every island of the mobile tier visited as often as the tier rule asks, with the
    least travel. Visits not yet made are planned again; those already recorded are kept."""
    require_cap(actor, Cap.CARE_REVIEW, "排定流动服务站行程", "plan the mobile teams' month")
    month = month.replace(day=1)
    rule = tier_rule()
    graph = rota.link_graph([rota.LinkRow(link.a, link.b, link.minutes)
                             for link in Link.objects.all()])  # fmt: skip
    mobile = [row.island for row in island_rows(actor) if row.tier == Tier.MOBILE]
    # Only a whole county's team is planned, by the district or the city: a town's plan
    # would leave out the rest of the county's islands.
    counties = Region.objects.filter(scope_for(actor).region_q("path"), level=RegionLevel.DISTRICT)
    if not counties.exists():
        raise PermissionDenied("排定流动服务站行程（由区县或市民政局排定）", "plan a county's team")
    plans = []
    for county in counties:
        islands = [i for i in mobile if i.county_id == county.pk]
        base = rule.mobile_bases.get(county.code, "舟山本岛")
        plan = rota.plan_trips(graph, base, [i.name for i in islands],
                               stop_minutes=rule.mobile_stop_minutes,
                               day_minutes=rule.mobile_day_minutes)  # fmt: skip
        RotaVisit.objects.filter(
            month=month_id(month), county=county, done_at__isnull=True
        ).delete()
        done = set(RotaVisit.objects.filter(month=month_id(month), county=county)
                   .values_list("island__name", "day"))  # fmt: skip
        by_name = {island.name: island for island in islands}
        rows = []
        for number, (day, trip) in enumerate(
            rota.schedule(plan.trips, month, rule.mobile_visits_a_month), start=1
        ):
            for seq, name in enumerate(trip.stops, start=1):
                if (name, day) in done:
                    continue
                rows.append(RotaVisit(
                    month=month_id(month), county=county, day=day, trip=number, seq=seq,
                    island=by_name[name], base=plan.base, route=list(trip.route),
                    trip_minutes=trip.minutes, over_a_day=trip.over_a_day,
                ))  # fmt: skip
        RotaVisit.objects.bulk_create(rows)
        audit_record(
            actor=actor,
            action="network.rota_plan",
            target=county,
            after={
                "month": month_id(month),
                "visits": len(rows),
                "trips": len(plan.trips),
                "unreachable": plan.unreachable,
            },
            scope_path=county.path,
        )
        plans.append(plan)
    return plans


@transaction.atomic
def rota_record(*, actor: Any, visit_id: int, note: str = "") -> RotaVisit:
    """The team has been: when, by whom, and what it found."""
    require_cap(actor, Cap.CARE_ORDER, "登记上岛服务", "record an island visit")
    visit = (
        RotaVisit.objects.select_for_update(of=("self",))
        .select_related("county")
        .filter(pk=visit_id, county__in=_counties(actor))
        .first()
    )
    if visit is None:
        raise NotFound("上岛行程", "island visit")
    if visit.done_at is not None:
        raise Conflict("rota_visit_done", "这次上岛服务已登记。", "This visit is already recorded.")
    visit.done_at, visit.done_by, visit.note = clock.now(), actor, note.strip()[:200]
    visit.save(update_fields=["done_at", "done_by", "note"])
    audit_record(actor=actor, action="network.rota_record", target=visit,
                 after={"island": visit.island_id, "day": visit.day.isoformat(),
                        "note": visit.note}, scope_path=visit.county.path)  # fmt: skip
    return visit


def _counties(actor: Any) -> Any:
    """The counties whose teams the actor works with: those inside their area, or the one
    their town or village lies in."""
    scope = scope_for(actor)
    inside = Region.objects.filter(scope.region_q("path"), level=RegionLevel.DISTRICT)
    above = Region.objects.filter(
        level=RegionLevel.DISTRICT,
        pk__in=Region.objects.filter(scope.region_q("path")).values("parent__parent"),
    )
    return inside | above
