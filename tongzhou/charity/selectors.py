"""Reads of charity funds, narrowed to the funds that serve the actor's area."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.charity.models import CharityFund


def funds_visible_to(actor: Any) -> QuerySet[CharityFund]:
    """City-wide funds, funds earmarked inside the actor's area, and funds earmarked for an
    area holding it (a district's fund, to a town officer of that district); never another
    area's earmarked fund, and nothing to canteen staff."""
    if not has_cap(actor, Cap.FUND_VIEW):
        return CharityFund.objects.none()
    funds = CharityFund.objects.select_related("earmark_region", "earmark_category")
    scope = scope_for(actor)
    if scope.everything:
        return funds
    if scope.region_path is None:
        return funds.none()
    holding = [scope.region_path[: i + 1] for i, c in enumerate(scope.region_path) if c == "/"]
    return funds.filter(
        Q(earmark_region__isnull=True)
        | Q(earmark_region__path__startswith=scope.region_path)
        | Q(earmark_region__path__in=holding)
    )
