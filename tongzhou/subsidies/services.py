"""New policy versions (from a future date) and the preview quote for the back office."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.core import clock
from tongzhou.core.errors import ValidationFailed
from tongzhou.elders.ages import age_band, age_on
from tongzhou.elders.models import CategoryMembership, Elder, valid_on_q
from tongzhou.geo.models import Region, district_code
from tongzhou.subsidies.calculator import Quote, QuoteInput, quote
from tongzhou.subsidies.models import SubsidyPolicy, SubsidyRule
from tongzhou.subsidies.selectors import policy_in_force

POLICY_FIELDS = (
    "region",
    "name",
    "effective_from",
    "min_spend_fen",
    "monthly_cap_meals",
    "delivery_fee_fen",
    "delivery_subsidy_fen",
    "delivery_categories",
    "delivery_min_age_alone",
    "operating_fen_per_elder_day",
    "max_lines",
    "max_quantity",
    "max_breakfast_fen",
    "max_lunch_fen",
    "max_dinner_fen",
)
RULE_FIELDS = (
    "label",
    "age_band",
    "category",
    "session",
    "mode",
    "amount_fen",
    "district_bp",
    "city_bp",
    "charity_bp",
    "canteen_bp",
)


def _check_rule(rule: SubsidyRule) -> None:
    if sum(rule.shares_bp.values()) != 10_000:
        raise ValidationFailed(
            "rule_shares_invalid",
            f"规则“{rule.label}”的出资比例之和必须为100%。",
            f"The funding shares of rule '{rule.label}' must add up to 100%.",
        )
    if not rule.age_band and rule.category_id is None:
        raise ValidationFailed(
            "rule_target_missing",
            f"规则“{rule.label}”须指定年龄段或人员类别。",
            f"Rule '{rule.label}' needs an age band or a category.",
        )


@transaction.atomic
def policy_version_create(
    *, actor: Any, policy: SubsidyPolicy, rules: list[SubsidyRule]
) -> SubsidyPolicy:
    """A new version takes effect from a future date; the one in force is never edited."""
    require_cap(actor, Cap.POLICY_EDIT, "制定补贴政策", "set subsidy policies")
    region: Region = policy.region
    if region.level not in ("city", "district") or not scope_for(actor).contains_path(region.path):
        raise ValidationFailed(
            "policy_region_invalid",
            "政策只能针对全市或您管辖的区县。",
            "A policy covers the city or a district inside your area.",
        )
    if policy.effective_from <= clock.today():
        raise ValidationFailed(
            "policy_must_start_later",
            "新政策只能从明天或以后生效；已生效的政策不能修改。",
            "A new version must start tomorrow or later; versions in force cannot change.",
        )
    if policy.delivery_subsidy_fen > policy.delivery_fee_fen:
        raise ValidationFailed(
            "delivery_subsidy_too_high",
            "送餐费补贴不能超过送餐费。",
            "The delivery subsidy cannot exceed the delivery fee.",
        )
    if not rules:
        raise ValidationFailed("policy_without_rules", "政策至少需要一条规则。", "Add a rule.")
    for rule in rules:
        _check_rule(rule)
    if SubsidyPolicy.objects.filter(region=region, effective_from=policy.effective_from).exists():
        raise ValidationFailed(
            "policy_version_exists",
            "该区域在同一天已有一个政策版本。",
            "This region already has a version starting that day.",
        )
    policy.pk = None
    policy.created_by = actor if getattr(actor, "pk", None) else None
    policy.save()
    for rule in rules:
        rule.pk = None
        rule.policy = policy
    SubsidyRule.objects.bulk_create(rules)
    audit_record(
        actor=actor,
        action="policy.create",
        target=policy,
        after=snapshot(policy, POLICY_FIELDS)
        | {"rules": [snapshot(rule, RULE_FIELDS) for rule in rules]},
        scope_path=region.path,
    )
    return policy


@dataclass(frozen=True)
class ElderFacts:
    age_band: str
    categories: frozenset[str]
    district_code: str


def elder_facts(elder: Elder, day: dt.date) -> ElderFacts:
    """What the subsidy depends on, as of `day`: age band, categories, home district."""
    codes = frozenset(
        CategoryMembership.objects.filter(valid_on_q(day), elder_id=elder.pk).values_list(
            "category__code", flat=True
        )
    )
    district = district_code(elder.residence.path)
    return ElderFacts(age_band(age_on(elder.birth_date, day)).code, codes, district)


def quote_preview(
    *, actor: Any, elder: Elder, total_fen: int, day: dt.date, session: str
) -> tuple[SubsidyPolicy, Quote]:
    """ "This elder, this meal, this day → quote", without caps already used."""
    require_cap(actor, Cap.ELDER_VIEW, "预览补贴", "preview subsidies")
    facts = elder_facts(elder, day)
    in_force = policy_in_force(district_code=facts.district_code, day=day)
    result = quote(
        in_force.spec,
        QuoteInput(
            total_fen=total_fen,
            age_band=facts.age_band,
            categories=facts.categories,
            session=session,
        ),
    )
    return in_force.policy, result
