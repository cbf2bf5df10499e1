"""Sales a counter recorded while offline, posted when it syncs.

Each sale carries a client-generated id and the device's time. The server:
- posts it by its device time and that day's business date, through the same checkout as an
  online sale (policy, caps, purses, QR single use);
- never posts a sale twice: a retried, duplicated or reordered batch finds the sale's row
  (unique per terminal and client id), and a sale whose online answer was lost is found by
  its receipt number (unique per terminal);
- resolves a subsidy claimed twice by one rule, whatever order the batches arrive in: a sale
  made online keeps its subsidy; among offline sales the earlier by device time (then
  terminal, then client id) keeps it; the later is charged full price, and if the elder's own
  money does not cover that, it goes to review uncharged;
- sends to review, uncharged, what it cannot post (a card blocked since, a purse short, a
  clock outside the session window or more than 7 days old), with the reason, for the
  canteen and the bureau to see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongzhou.audit.services import audit_record
from tongzhou.canteens.models import Terminal
from tongzhou.core import clock
from tongzhou.core.errors import Conflict, DomainError
from tongzhou.identity.services import Resolved, resolve_credential
from tongzhou.ledger.models import JournalKind
from tongzhou.meals.models import Meal, MealStatus, OfflineOutcome, OfflineSale, SubsidyClaim
from tongzhou.meals.services import CheckoutRequest, Line, _checkout, _reverse_meal

MAX_AGE = dt.timedelta(days=7)
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class OfflineSaleIn:
    client_id: str
    receipt_no: str
    device_time: dt.datetime
    card: str
    session: str
    lines: list[Line]
    accept_full_price: bool = False

    def request(
        self, *, full_price: bool, receipt_no: str | None = None, forgo_subsidy: bool = False
    ) -> CheckoutRequest:
        return CheckoutRequest(
            card=self.card,
            session=self.session,
            lines=self.lines,
            client_receipt_no=receipt_no or self.receipt_no,
            device_time=self.device_time,
            accept_full_price=full_price,
            forgo_subsidy=forgo_subsidy,
        )


def _payload(sale: OfflineSaleIn) -> dict[str, Any]:
    return {
        "card_kind": "qr" if sale.card.isdigit() and len(sale.card) == 23 else "card",
        "lines": [line.__dict__ for line in sale.lines],
        "accept_full_price": sale.accept_full_price,
    }


def _sale_in(row: OfflineSale) -> OfflineSaleIn:
    return OfflineSaleIn(
        client_id=row.client_id,
        receipt_no=row.receipt_no,
        device_time=row.device_time,
        card="",  # re-posted for the elder already resolved: the credential is not kept
        session=row.session,
        lines=[Line(**line) for line in row.payload["lines"]],
        accept_full_price=row.payload["accept_full_price"],
    )


def answer(row: OfflineSale) -> dict[str, Any]:
    meal = row.meal
    return {
        "client_id": row.client_id,
        "receipt_no": row.receipt_no,
        "outcome": row.outcome,
        "reason_code": row.reason_code,
        "reason": row.reason,
        "meal_receipt_no": meal.receipt_no
        if meal and meal.status == MealStatus.COMPLETED
        else None,
        "total_fen": meal.total_fen if meal else None,
        "own_fen": meal.own_fen if meal else None,
        "subsidy_fen": meal.subsidy_fen if meal else None,
    }


def offline_sync(*, terminal: Terminal, sales: list[OfflineSaleIn]) -> list[dict[str, Any]]:
    """Post a batch, earliest first; the answer lists every sale with its outcome."""
    ordered = sorted(sales, key=lambda s: (s.device_time, s.client_id))
    return [_sync_one(terminal, sale) for sale in ordered]


def _sync_one(terminal: Terminal, sale: OfflineSaleIn) -> dict[str, Any]:
    for _attempt in range(3):
        existing = OfflineSale.objects.filter(terminal=terminal, client_id=sale.client_id).first()
        if existing is not None:
            return answer(existing)
        try:
            with transaction.atomic():
                return answer(_post_new(terminal, sale))
        except IntegrityError:
            continue  # a twin of this batch got there first: answer from its row
    raise RuntimeError("offline sale could not be recorded")


def _record(
    terminal: Terminal,
    sale: OfflineSaleIn,
    outcome: str,
    meal: Meal | None,
    refusal: DomainError | None = None,
) -> OfflineSale:
    row = OfflineSale.objects.create(
        terminal=terminal,
        client_id=sale.client_id,
        receipt_no=sale.receipt_no,
        device_time=sale.device_time,
        business_date=timezone.localtime(sale.device_time).date(),
        session=sale.session,
        payload=_payload(sale),
        outcome=outcome,
        reason_code=refusal.code if refusal else "",
        reason=refusal.message_zh[:200] if refusal else "",
        meal=meal,
        synced_at=clock.now(),
    )
    audit_record(
        actor=None,
        actor_label=f"terminal:{terminal.key_id}",
        action="meal.offline_sync",
        target=row,
        after={
            "outcome": outcome,
            "reason": row.reason_code,
            "meal": meal.receipt_no if meal else None,
        },
        canteen_id=terminal.canteen_id,
        scope_path=terminal.canteen.village.path,
    )
    return row


def _review(code: str, zh: str, en: str) -> DomainError:
    return Conflict(code, zh, en)


def _post_new(terminal: Terminal, sale: OfflineSaleIn) -> OfflineSale:
    # A sale first tried online whose answer was lost may already be posted.
    posted = Meal.objects.filter(terminal=terminal, client_receipt_no=sale.receipt_no).first()
    if posted is not None:
        return _record(terminal, sale, OfflineOutcome.POSTED, posted)
    now = clock.now()
    if sale.device_time > now + CLOCK_TOLERANCE:
        return _record(
            terminal,
            sale,
            OfflineOutcome.REVIEW,
            None,
            _review(
                "device_clock_ahead",
                "收银机时间晚于服务器时间，请核对。",
                "The counter's clock is ahead of the server's.",
            ),
        )
    if sale.device_time < now - MAX_AGE:
        return _record(
            terminal,
            sale,
            OfflineOutcome.REVIEW,
            None,
            _review(
                "offline_sale_too_old",
                "离线交易超过7天才上传，请人工核对。",
                "This offline sale is more than 7 days old.",
            ),
        )
    try:
        with transaction.atomic():
            meal = _checkout(terminal, sale.request(full_price=False), at=sale.device_time).meal()
        return _record(terminal, sale, OfflineOutcome.POSTED, meal)
    except DomainError as refusal:
        if refusal.code != "subsidy_already_used":
            return _record(terminal, sale, OfflineOutcome.REVIEW, None, refusal)
    return _subsidy_conflict(terminal, sale)


def _rank(row: OfflineSale) -> tuple[dt.datetime, int, str]:
    return (row.device_time, row.terminal_id, row.client_id)


def _subsidy_conflict(terminal: Terminal, sale: OfflineSaleIn) -> OfflineSale:
    elder = resolve_credential(sale.card, terminal=terminal, at=sale.device_time).elder
    day = timezone.localtime(sale.device_time).date()
    claim = (
        SubsidyClaim.objects.select_related("meal")
        .filter(elder=elder, business_date=day, session=sale.session, released=False)
        .first()
    )
    holder = (
        OfflineSale.objects.select_for_update().filter(meal=claim.meal).first() if claim else None
    )
    ours = (sale.device_time, terminal.pk, sale.client_id)
    if claim is not None and holder is not None and _rank(holder) > ours:
        _displace(holder, claim.meal)
        with transaction.atomic():
            meal = _checkout(terminal, sale.request(full_price=False), at=sale.device_time).meal()
        return _record(terminal, sale, OfflineOutcome.POSTED, meal)
    # The subsidy stays where it is (an online sale, or an earlier offline one): full price.
    try:
        with transaction.atomic():
            meal = _checkout(terminal, sale.request(full_price=True), at=sale.device_time).meal()
    except DomainError as refusal:
        return _record(terminal, sale, OfflineOutcome.REVIEW, None, refusal)
    note = _review(
        "subsidy_used_elsewhere",
        "同一餐次的补贴已在别处先行使用，本笔按原价结算。",
        "The subsidy for this meal was used first elsewhere; charged at full price.",
    )
    return _record(terminal, sale, OfflineOutcome.FULL_PRICE, meal, note)


def _displace(holder: OfflineSale, meal: Meal) -> None:
    """A later offline sale holds the subsidy an earlier one is owed: reverse it and post it
    again at full price (or send it to review if the elder's money does not cover that)."""
    meal = Meal.objects.select_for_update().select_related("canteen__village").get(pk=meal.pk)
    _reverse_meal(meal, kind=JournalKind.VOID, status=MealStatus.VOIDED)
    later = _sale_in(holder)
    reason = _review(
        "subsidy_to_earlier_sale",
        "同一餐次另一笔更早的离线交易享受补贴，本笔改按原价结算。",
        "An earlier offline sale of this meal keeps the subsidy; this one is at full price.",
    )
    try:
        with transaction.atomic():
            again = _checkout(
                holder.terminal,
                later.request(
                    full_price=True, receipt_no=f"{later.receipt_no[:38]}~R", forgo_subsidy=True
                ),
                resolved=Resolved(meal.elder, "repriced"),
                at=later.device_time,
            ).meal()
        holder.meal, holder.outcome = again, OfflineOutcome.REPRICED
    except DomainError as refusal:
        holder.outcome, reason = OfflineOutcome.REVIEW, refusal
    holder.reason_code, holder.reason = reason.code, reason.message_zh[:200]
    holder.save(update_fields=["meal", "outcome", "reason_code", "reason"])
    audit_record(
        actor=None,
        actor_label="offline-sync",
        action="meal.offline_reprice",
        target=holder,
        after={"outcome": holder.outcome, "voided": meal.receipt_no},
        canteen_id=holder.terminal.canteen_id,
        scope_path=meal.canteen.village.path,
    )
