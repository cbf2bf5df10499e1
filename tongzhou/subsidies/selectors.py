"""Which policy version is in force for a district on a day, as calculator input."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from tongzhou.core import clock
from tongzhou.core.errors import Conflict
from tongzhou.geo.selectors import city_code
from tongzhou.subsidies.calculator import Mode, PolicySpec, RuleSpec
from tongzhou.subsidies.models import SubsidyPolicy


@dataclass(frozen=True)
class PolicyInForce:
    policy: SubsidyPolicy
    spec: PolicySpec


# A version starts only on a future day (`policy_version_create`), so what is in force on a
# day up to today can never change and is kept for the life of the process. A later day is
# read each time: another process may publish a version starting on it at any moment.
_cache: dict[tuple[str, dt.date], PolicyInForce] = {}


def policy_in_force(*, district_code: str, day: dt.date) -> PolicyInForce:
    key = (district_code, day)
    found = _cache.get(key)
    if found is None:
        found = _load(district_code, day)
        if day <= clock.today():
            _cache[key] = found
    return found


def clear_cache() -> None:
    _cache.clear()


def _load(district_code: str, day: dt.date) -> PolicyInForce:
    candidates = (
        SubsidyPolicy.objects.filter(effective_from__lte=day)
        .filter(Q(region__code=district_code) | Q(region__code=city_code()))
        .select_related("region")
        .order_by("-effective_from")
    )
    chosen = None
    # A district's own version overrides the city's; within each, the latest start wins.
    for policy in candidates:
        if policy.region.code == district_code:
            chosen = policy
            break
        if chosen is None:
            chosen = policy
    if chosen is None:
        raise Conflict(
            "no_policy",
            "当日没有生效的助餐补贴政策，请联系民政局。",
            "No subsidy policy is in force for that day.",
        )
    return PolicyInForce(chosen, policy_spec(chosen))


def policy_spec(policy: SubsidyPolicy) -> PolicySpec:
    rules = tuple(
        RuleSpec(
            rule_id=rule.pk,
            label=rule.label,
            mode=Mode(rule.mode),
            amount_fen=rule.amount_fen,
            shares_bp=rule.shares_bp,
            age_band=rule.age_band or None,
            category=rule.category.code if rule.category is not None else None,
            session=rule.session or None,
        )
        for rule in policy.rules.select_related("category").order_by("id")
    )
    return PolicySpec(
        version_id=policy.pk,
        rules=rules,
        min_spend_fen=policy.min_spend_fen,
        monthly_cap_meals=policy.monthly_cap_meals,
    )
