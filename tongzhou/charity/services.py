"""Charity funds (食堂+慈善): donations in, allocations out to the elders they are meant for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap
from tongzhou.audit.services import audit_record
from tongzhou.charity.models import CharityFund
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, ValidationFailed
from tongzhou.core.money import yuan
from tongzhou.elders.models import CategoryMembership, Elder, ElderStatus, valid_on_q
from tongzhou.geo.selectors import city_path
from tongzhou.ledger.models import Account, AccountKind, JournalKind
from tongzhou.ledger.services import account_for, credit_many, post, purses_of_kind


def _fund_account(fund: CharityFund) -> Account:
    return account_for(AccountKind.DONATION_FUND, fund_id=fund.pk)


def fund_balance(fund: CharityFund) -> int:
    return _fund_account(fund).balance_fen


@transaction.atomic
def fund_create(
    *,
    actor: Any,
    name: str,
    donor: str,
    earmark_region: Any = None,
    earmark_category: Any = None,
) -> CharityFund:
    require_cap(actor, Cap.REFERENCE_EDIT, "设立慈善资金", "set up charity funds")
    if not name.strip() or not donor.strip():
        raise ValidationFailed(
            "fund_fields_required", "请填写资金名称和捐赠方。", "Name the fund and its donor."
        )
    if CharityFund.objects.filter(name=name.strip()).exists():
        raise Conflict(
            "fund_name_taken",
            "已有同名的慈善资金，请换一个名称。",
            "A charity fund of that name exists; choose another name.",
        )
    fund = CharityFund.objects.create(
        name=name.strip(),
        donor=donor.strip(),
        earmark_region=earmark_region,
        earmark_category=earmark_category,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _fund_account(fund)
    audit_record(
        actor=actor,
        action="charity.fund_create",
        target=fund,
        after={
            "name": fund.name,
            "donor": fund.donor,
            "region": getattr(earmark_region, "code", None),
            "category": getattr(earmark_category, "code", None),
        },
        scope_path=earmark_region.path if earmark_region else city_path(),
    )
    return fund


@transaction.atomic
def donation_receive(*, actor: Any, fund: CharityFund, amount_fen: int, note: str = "") -> int:
    """Record money received from the donor; returns the fund's balance."""
    require_cap(actor, Cap.REFERENCE_EDIT, "登记捐赠", "record donations")
    if amount_fen <= 0:
        raise ValidationFailed("amount_invalid", "金额必须大于0。", "The amount must be positive.")
    account = Account.objects.select_for_update().get(pk=_fund_account(fund).pk)
    received = account_for(AccountKind.DONATIONS_RECEIVED, fund_id=fund.pk)
    post(
        kind=JournalKind.DONATION,
        business_date=clock.today(),
        lines=[(account, amount_fen), (received, -amount_fen)],
        memo=note or fund.name,
    )
    audit_record(
        actor=actor,
        action="charity.donation",
        target=fund,
        after={"amount_fen": amount_fen, "note": note[:120]},
        scope_path=city_path(),
    )
    return account.balance_fen


def eligible_elders(fund: CharityFund, day: dt.date) -> list[int]:
    """Active elders the fund is meant for on `day` (by place and category)."""
    elders = Elder.objects.filter(status=ElderStatus.ACTIVE)
    if fund.earmark_region_id is not None:
        elders = elders.filter(residence__path__startswith=fund.earmark_region.path)  # type: ignore[union-attr]
    if fund.earmark_category_id is not None:
        members = CategoryMembership.objects.filter(
            valid_on_q(day), category_id=fund.earmark_category_id
        ).values("elder_id")
        elders = elders.filter(pk__in=members)
    return list(elders.order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True)
class Allocation:
    elders: int
    amount_each_fen: int
    total_fen: int
    fund_balance_fen: int


@transaction.atomic
def fund_allocate(*, actor: Any, fund: CharityFund, amount_each_fen: int) -> Allocation:
    """Give every eligible elder the same allowance from the fund, or nobody if it is short."""
    require_cap(actor, Cap.REFERENCE_EDIT, "分配慈善资金", "allocate charity funds")
    if amount_each_fen <= 0:
        raise ValidationFailed("amount_invalid", "金额必须大于0。", "The amount must be positive.")
    day = clock.today()
    elder_ids = eligible_elders(fund, day)
    if not elder_ids:
        raise ValidationFailed(
            "fund_no_eligible_elders",
            "没有符合该资金定向条件的老人。",
            "No elder matches this fund's earmark.",
        )
    source = Account.objects.select_for_update().get(pk=_fund_account(fund).pk)
    total = amount_each_fen * len(elder_ids)
    if total > source.balance_fen:
        raise Conflict(
            "fund_insufficient",
            f"资金余额 {yuan(source.balance_fen)} 元，不足以给 {len(elder_ids)} 位老人"
            f"每人 {yuan(amount_each_fen)} 元（共 {yuan(total)} 元）。",
            f"The fund holds {yuan(source.balance_fen)} yuan, short of {yuan(total)} yuan "
            f"for {len(elder_ids)} elders.",
            balance_fen=source.balance_fen,
            needed_fen=total,
        )
    targets = purses_of_kind(AccountKind.ELDER_CHARITY, elder_ids)
    credit_many(
        kind=JournalKind.ALLOCATION,
        business_date=day,
        source=source,
        targets=targets,
        amount_each=amount_each_fen,
        memo=fund.name,
    )
    audit_record(
        actor=actor,
        action="charity.allocate",
        target=fund,
        after={"elders": len(elder_ids), "amount_each_fen": amount_each_fen, "total_fen": total},
        scope_path=city_path(),
    )
    return Allocation(len(elder_ids), amount_each_fen, total, source.balance_fen)
