"""Money into an elder's purses, each a posting through the ledger with an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap
from tongzhou.audit.services import audit_record
from tongzhou.canteens.models import Terminal
from tongzhou.core import clock
from tongzhou.core.errors import ValidationFailed
from tongzhou.core.masking import mask_name
from tongzhou.elders.models import Elder
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.geo.models import district_code
from tongzhou.geo.selectors import city_code, region_pk
from tongzhou.ledger.models import AccountKind, JournalKind
from tongzhou.ledger.services import account_for, post, purses_for

MAX_AMOUNT_FEN = 1_000_000  # 10,000 yuan in one top-up or correction

# Where the money in each purse comes from.
PURSE_SOURCES: dict[str, AccountKind] = {
    AccountKind.ELDER_OWN: AccountKind.TOPUP_CLEARING,
    AccountKind.ELDER_SUBSIDY: AccountKind.DISTRICT_FUND,
    AccountKind.ELDER_CHARITY: AccountKind.CHARITY_FUND,
}


@dataclass(frozen=True)
class TopUpReceipt:
    receipt_no: str
    elder_name: str
    purse: str
    amount_fen: int
    balance_fen: int


@transaction.atomic
def purse_credit(
    *,
    elder: Elder,
    amount_fen: int,
    purse: str = AccountKind.ELDER_OWN,
    actor: Any = None,
    terminal: Terminal | None = None,
    note: str = "",
) -> TopUpReceipt:
    """Money into a purse: a top-up of own money (at a canteen or the bureau), or a
    government or charity allowance credited by the bureau."""
    if not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise ValidationFailed(
            "amount_invalid", "金额应在0.01元到1万元之间。", "The amount must be 0.01-10,000 yuan."
        )
    if purse not in PURSE_SOURCES:
        raise ValidationFailed("purse_invalid", "钱包类型不正确。", "Unknown purse.")
    if terminal is not None:
        if purse != AccountKind.ELDER_OWN:
            raise ValidationFailed(
                "purse_not_at_counter",
                "食堂只能为老人充值个人余额。",
                "A canteen can only top up the elder's own money.",
            )
        source_owner: dict[str, Any] = {"canteen_id": terminal.canteen_id}
        label: str | None = f"terminal:{terminal.key_id}"
    else:
        require_cap(actor, Cap.PURSE_CREDIT, "充值或发放补贴", "credit purses")
        require_elder_in_scope(actor=actor, elder=elder)
        district = district_code(elder.residence.path)
        source_code = district if purse == AccountKind.ELDER_SUBSIDY else city_code()
        source_owner = {"region_id": region_pk(source_code)}
        label = None
    target = purses_for(elder.pk, lock=True)[purse]
    source = account_for(PURSE_SOURCES[purse], **source_owner)
    journal = post(
        kind=JournalKind.TOPUP,
        business_date=clock.today(),
        memo=note[:120],
        lines=[(target, amount_fen), (source, -amount_fen)],
    )
    receipt_no = f"T{journal.business_date:%y%m%d}-{journal.pk}"
    audit_record(
        actor=actor,
        actor_label=label,
        action="purse.credit",
        target=elder,
        after={"purse": purse, "amount_fen": amount_fen, "receipt_no": receipt_no},
        scope_path=elder.residence.path,
        canteen_id=terminal.canteen_id if terminal else None,
    )
    return TopUpReceipt(receipt_no, mask_name(elder.name), purse, amount_fen, target.balance_fen)


@transaction.atomic
def purse_correct(
    *, actor: Any, elder: Elder, purse: str, amount_fen: int, reason: str
) -> TopUpReceipt:
    """A correction is a posting too: money into (positive) or out of (negative) a purse,
    against the city's clearing account, with a reason, by the city bureau."""
    require_cap(actor, Cap.LEDGER_CORRECT, "更正账务", "correct the ledger")
    if purse not in PURSE_SOURCES or amount_fen == 0 or abs(amount_fen) > MAX_AMOUNT_FEN:
        raise ValidationFailed(
            "correction_invalid",
            "更正金额或钱包类型不正确。",
            "The correction's amount or purse is not valid.",
        )
    if not reason.strip():
        raise ValidationFailed("reason_required", "请填写更正原因。", "Give a reason.")
    target = purses_for(elder.pk, lock=True)[purse]
    clearing = account_for(AccountKind.TOPUP_CLEARING, region_id=region_pk(city_code()))
    journal = post(
        kind=JournalKind.CORRECTION,
        business_date=clock.today(),
        memo=reason.strip()[:120],
        lines=[(target, amount_fen), (clearing, -amount_fen)],
    )
    receipt_no = f"C{journal.business_date:%y%m%d}-{journal.pk}"
    audit_record(
        actor=actor,
        action="purse.correct",
        target=elder,
        after={"purse": purse, "amount_fen": amount_fen, "reason": reason.strip()[:200],
               "receipt_no": receipt_no},
        scope_path=elder.residence.path,
    )  # fmt: skip
    return TopUpReceipt(receipt_no, mask_name(elder.name), purse, amount_fen, target.balance_fen)
