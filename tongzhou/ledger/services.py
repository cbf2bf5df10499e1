"""Double-entry postings. Every movement is a journal whose entries sum to zero; purse balances
move by one conditional UPDATE each, so no purse can go below zero even under concurrency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum

from tongzhou.core.errors import DomainError
from tongzhou.ledger.models import (
    PURSE_KINDS,
    STORED_KINDS,
    Account,
    AccountKind,
    Entry,
    Journal,
)


class InsufficientFunds(DomainError):
    def __init__(self, shortfall_fen: int) -> None:
        from tongzhou.core.money import yuan

        super().__init__(
            code="balance_insufficient",
            message_zh=f"余额不足，还差 {yuan(shortfall_fen)} 元，请先充值。",
            message_en=f"Balance too low: {yuan(shortfall_fen)} yuan short. Please top up.",
            status=402,
            details={"shortfall_fen": shortfall_fen},
        )


def post(
    *,
    kind: str,
    business_date: dt.date,
    lines: Iterable[tuple[Account, int]],
    memo: str = "",
    reverses: Journal | None = None,
) -> Journal:
    """Write one balanced journal. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("post() must run inside a transaction")
    lines = list(lines)
    accounts = {account.pk: account for account, _amount in lines}
    entries = balanced_entries([(account.pk, amount) for account, amount in lines])
    # Stored balances in primary-key order, so two postings never wait on each other in a
    # cycle; the others are the sum of their entries and have no hot row to lock.
    for pk, amount in sorted(entries):
        account = accounts[pk]
        if account.kind in STORED_KINDS:
            _move_stored(account, amount)
    journal = Journal.objects.create(
        kind=kind, business_date=business_date, memo=memo, reverses=reverses
    )
    Entry.objects.bulk_create(
        [Entry(journal=journal, account_id=pk, amount_fen=amount) for pk, amount in entries]
    )
    return journal


def balanced_entries(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """A journal's entries from (account id, signed fen) lines: one per account, none of
    zero; refused unless they sum to zero and move something."""
    merged: dict[int, int] = defaultdict(int)
    for account_id, amount in lines:
        merged[account_id] += amount
    entries = [(account_id, amount) for account_id, amount in merged.items() if amount]
    if sum(amount for _account, amount in entries) != 0:
        raise ValueError("a journal's entries must sum to zero")
    if not entries:
        raise ValueError("a journal needs at least one movement")
    return entries


def _move_stored(account: Account, amount: int) -> None:
    query = Account.objects.filter(pk=account.pk)
    if amount < 0:
        query = query.filter(balance_fen__gte=-amount)
    if query.update(balance_fen=F("balance_fen") + amount) != 1:
        current = Account.objects.values_list("balance_fen", flat=True).get(pk=account.pk)
        raise InsufficientFunds(-amount - current)
    account.balance_fen += amount


def reverse(journal: Journal, *, kind: str, business_date: dt.date, memo: str = "") -> Journal:
    """The compensating journal: every entry negated. The original is never touched."""
    lines = [
        (entry.account, -entry.amount_fen) for entry in journal.entries.select_related("account")
    ]
    return post(kind=kind, business_date=business_date, lines=lines, memo=memo, reverses=journal)


def account_for(
    kind: AccountKind,
    *,
    elder_id: int | None = None,
    canteen_id: int | None = None,
    region_id: int | None = None,
    fund_id: int | None = None,
) -> Account:
    owner: dict[str, Any] = {
        "elder_id": elder_id,
        "canteen_id": canteen_id,
        "region_id": region_id,
        "fund_id": fund_id,
    }
    account, _created = Account.objects.get_or_create(kind=kind, **owner)
    return account


def purses_for(elder_id: int, *, lock: bool = False) -> dict[str, Account]:
    """The elder's three purses, created on first use; locked (in key order) if asked."""

    def read() -> dict[str, Account]:
        query = Account.objects.filter(elder_id=elder_id, kind__in=PURSE_KINDS).order_by("pk")
        return {a.kind: a for a in (query.select_for_update() if lock else query)}

    found = read()
    if len(found) < len(PURSE_KINDS):
        for kind in PURSE_KINDS:
            if kind not in found:
                with transaction.atomic():
                    account_for(kind, elder_id=elder_id)
        found = read()
    return found


def balance_of(account: Account) -> int:
    """The sum of an account's entries: the truth that stored purse balances must equal."""
    return Entry.objects.filter(account=account).aggregate(total=Sum("amount_fen"))["total"] or 0


def ledger_check() -> list[str]:
    """Problems found: unbalanced journals, purse balances that differ from their entries."""
    problems: list[str] = []
    unbalanced = (
        Entry.objects.values("journal_id").annotate(total=Sum("amount_fen")).exclude(total=0)
    )
    problems += [f"journal {row['journal_id']} sums to {row['total']}" for row in unbalanced]
    sums = dict(
        Entry.objects.filter(account__kind__in=STORED_KINDS)
        .values("account_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("account_id", "total")
    )
    for account_id, stored in Account.objects.filter(kind__in=STORED_KINDS).values_list(
        "id", "balance_fen"
    ):
        if stored != sums.get(account_id, 0):
            problems.append(
                f"account {account_id}: stored {stored} != entries {sums.get(account_id, 0)}"
            )
    return problems


@transaction.atomic
def opening_balances(
    *, amounts: dict[int, int], source: Account, business_date: dt.date, memo: str
) -> Journal | None:
    """Open the purses of many elders at once (data migrations, demo) and credit their own
    money in one balanced journal: one entry per credited elder plus one counter-entry, so
    stored balances still equal the sum of entries."""
    ids = list(amounts)
    chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]  # SQLite's variable limit
    if any(
        Account.objects.filter(elder_id__in=chunk, kind__in=PURSE_KINDS).exists()
        for chunk in chunks
    ):
        raise ValueError("opening balances are only for elders without purses yet")
    Account.objects.bulk_create(
        [
            Account(
                kind=kind,
                elder_id=elder_id,
                balance_fen=max(fen, 0) if kind == AccountKind.ELDER_OWN else 0,
            )
            for elder_id, fen in amounts.items()
            for kind in PURSE_KINDS
        ],
        batch_size=5000,
    )
    credited = {elder_id: fen for elder_id, fen in amounts.items() if fen > 0}
    if not credited:
        return None
    journal = Journal.objects.create(kind="topup", business_date=business_date, memo=memo[:120])
    credited_ids = list(credited)
    entries = [
        Entry(journal=journal, account_id=account_id, amount_fen=credited[elder_id])
        for i in range(0, len(credited_ids), 5000)
        for account_id, elder_id in Account.objects.filter(
            kind=AccountKind.ELDER_OWN, elder_id__in=credited_ids[i : i + 5000]
        ).values_list("id", "elder_id")
    ]
    entries.append(Entry(journal=journal, account=source, amount_fen=-sum(credited.values())))
    Entry.objects.bulk_create(entries, batch_size=5000)
    return journal


def credit_many(
    *,
    kind: str,
    business_date: dt.date,
    source: Account,
    targets: list[Account],
    amount_each: int,
    memo: str = "",
) -> Journal:
    """One journal moving the same amount from `source` to each target purse: the source
    moves once (refused if it would go below zero), the targets in one UPDATE."""
    if not connection.in_atomic_block:
        raise RuntimeError("credit_many() must run inside a transaction")
    if amount_each <= 0 or not targets:
        raise ValueError("nothing to credit")
    total = amount_each * len(targets)
    if source.kind in STORED_KINDS:
        _move_stored(source, -total)
    ids = [target.pk for target in targets]
    for i in range(0, len(ids), 5000):  # SQLite's variable limit
        Account.objects.filter(pk__in=ids[i : i + 5000]).update(
            balance_fen=F("balance_fen") + amount_each
        )
    journal = Journal.objects.create(kind=kind, business_date=business_date, memo=memo[:120])
    entries = [Entry(journal=journal, account_id=pk, amount_fen=amount_each) for pk in ids]
    entries.append(Entry(journal=journal, account=source, amount_fen=-total))
    Entry.objects.bulk_create(entries, batch_size=5000)
    return journal


def purses_of_kind(kind: AccountKind, elder_ids: list[int]) -> list[Account]:
    """One purse per elder (created where missing), in a few batched queries."""
    Account.objects.bulk_create(
        [Account(kind=kind, elder_id=elder_id) for elder_id in elder_ids],
        ignore_conflicts=True,
        batch_size=5000,
    )
    found: list[Account] = []
    for i in range(0, len(elder_ids), 5000):  # SQLite's variable limit
        found += Account.objects.filter(kind=kind, elder_id__in=elder_ids[i : i + 5000])
    return sorted(found, key=lambda account: account.pk)
