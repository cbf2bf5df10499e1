"""Double-entry postings. Every movement is a journal whose entries sum to zero; purse balances
move by one conditional UPDATE each, so no purse can go below zero even under concurrency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum

from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.core.money import yuan
from tongzhou.geo.selectors import city_code, region_pk
from tongzhou.ledger.models import (
    PURSE_KINDS,
    STORED_KINDS,
    Account,
    AccountKind,
    Entry,
    Journal,
    JournalKind,
)


class InsufficientFunds(DomainError):
    def __init__(self, shortfall_fen: int) -> None:
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
    kinds = {account.pk: account.kind for account, _amount in lines}
    entries = balanced_entries([(account.pk, amount) for account, amount in lines])
    stored = [(pk, amount) for pk, amount in entries if kinds[pk] in STORED_KINDS]
    journal = _write(kind, business_date, memo, entries, stored, reverses=reverses)
    moved = dict(stored)
    for account in {account.pk: account for account, _amount in lines}.values():
        account.balance_fen += moved.get(account.pk, 0)  # as the update left it
    return journal


def _write(
    kind: str,
    business_date: dt.date,
    memo: str,
    entries: list[tuple[int, int]],
    stored: list[tuple[int, int]],
    *,
    created_at: dt.datetime | None = None,
    reverses: Journal | None = None,
) -> Journal:
    """The rows of one journal: stored balances moved (in primary-key order, so that two
    postings never wait on each other in a cycle; the other accounts are the sum of their
    entries and have no hot row to lock), the journal and its entries."""
    for pk, amount in sorted(stored):
        _move_stored(pk, amount)
    journal = Journal.objects.create(
        kind=kind,
        business_date=business_date,
        created_at=created_at or clock.now(),
        memo=memo,
        reverses=reverses,
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


def _move_stored(pk: int, amount: int) -> None:
    query = Account.objects.filter(pk=pk)
    if amount < 0:
        query = query.filter(balance_fen__gte=-amount)
    if query.update(balance_fen=F("balance_fen") + amount) != 1:
        current = Account.objects.values_list("balance_fen", flat=True).get(pk=pk)
        raise InsufficientFunds(-amount - current)


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


def account_open(kind: AccountKind) -> Account:
    """A new account with no owner in the ledger's columns: its owner keeps the link (one
    account per owner is the owner's own unique key)."""
    if kind in STORED_KINDS:
        raise ValueError("purses and stored funds have their owner in the ledger")
    return Account.objects.create(kind=kind)


# The accounts a sale posts to beside the elder's purses. Accounts are never deleted, so their
# ids are kept for the process's life.
_counterparties: dict[tuple[int, str], dict[str, int]] = {}


def sale_counterparties(canteen_id: int, district_code: str) -> dict[str, int]:
    """The ids of the accounts of a sale at this canteen for an elder of this district: the
    canteen's receivable and discount, the district's and city's funds, the charity fund
    (their balances are the sums of their entries: never read or written on a sale), created
    on first use."""
    key = (canteen_id, district_code)
    found = _counterparties.get(key)
    if found is not None:
        return found
    city_id, district_id = region_pk(city_code()), region_pk(district_code)
    wanted: dict[str, tuple[AccountKind, dict[str, Any]]] = {
        "receivable": (AccountKind.CANTEEN_RECEIVABLE, {"canteen_id": canteen_id}),
        "canteen": (AccountKind.CANTEEN_DISCOUNT, {"canteen_id": canteen_id}),
        "district": (AccountKind.DISTRICT_FUND, {"region_id": district_id}),
        "city": (AccountKind.CITY_FUND, {"region_id": city_id}),
        "charity": (AccountKind.CHARITY_FUND, {"region_id": city_id}),
    }
    with transaction.atomic():
        found = {
            name: Account.objects.get_or_create(kind=kind, **owner)[0].pk
            for name, (kind, owner) in wanted.items()
        }
    # Kept only once committed: a row made in a sale that then rolls back must not be
    # reused by the next sale.
    transaction.on_commit(partial(_counterparties.__setitem__, key, found))
    return found


def clear_caches() -> None:
    """For tests, whose databases come and go."""
    _counterparties.clear()


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
        _move_stored(source.pk, -total)
        source.balance_fen -= total
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


# --- A counter's sale ----------------------------------------------------------------------
# A sale is written in one statement on PostgreSQL (`meals.sale_store`). Its purse moves,
# journal and entries are this module's rows, so this module writes them there too: as the
# common table expressions below, which the sale's statement embeds. Elsewhere (SQLite) the
# sale's posting goes through `_write`, as every other posting does. Both write the same rows
# as `post` for the same lines (meals/tests/test_ledger_rows.py, on both databases).


@dataclass(frozen=True)
class SalePosting:
    """The journal of one sale: entries as (account id, signed fen), and the moves of the
    stored balances among them (the elder's purses), each equal to its account's entries."""

    business_date: dt.date
    created_at: dt.datetime
    memo: str
    entries: list[tuple[int, int]]
    purse_moves: list[tuple[int, int]]
    is_checked: bool = field(default=False, compare=False)

    def checked(self) -> SalePosting:
        """The posting with its entries merged, refused unless it keeps the ledger's rules
        (checked once: the sale's write checks it, and `sale_post` does not again)."""
        if self.is_checked:
            return self
        entries = balanced_entries(self.entries)
        by_account = dict(entries)
        moves = sorted((account, delta) for account, delta in self.purse_moves if delta)
        if any(by_account.get(account) != delta for account, delta in moves):
            raise ValueError("a purse moves by exactly its entries in the same journal")
        return replace(self, entries=entries, purse_moves=moves, is_checked=True)

    def document(self) -> dict[str, Any]:
        """The posting as the statement's CTEs read it (in the sale's JSON document)."""
        return {
            "kind": JournalKind.MEAL.value,
            "business_date": self.business_date.isoformat(),
            "created_at": self.created_at.isoformat(),
            "memo": self.memo,
            "moves": [{"account": a, "delta": delta} for a, delta in self.purse_moves],
            "entries": [{"account": a, "amount": amount} for a, amount in self.entries],
        }


# The statement draws the journal's id first, so that the sale's rows can refer to it.
JOURNAL_ID = "nextval(pg_get_serial_sequence('ledger_journal', 'id'))"


def sale_posting_ctes(*, source: str, document: str, journal_id: str) -> str:
    """The posting as CTEs of a statement on PostgreSQL: `source` names the one-row relation
    holding the posting's `document` (an expression of its JSON) and its `journal_id` (drawn
    with JOURNAL_ID). A purse that would go below zero fails `account_purse_never_negative`,
    and with it the whole statement. `ledger_moved` answers each moved purse's balance after
    (`balance_after`)."""
    return f"""ledger_moved AS (
    UPDATE ledger_account AS a SET balance_fen = a.balance_fen + move.delta
    FROM {source}, jsonb_to_recordset({document} -> 'moves') AS move(account bigint, delta bigint)
    WHERE a.id = move.account
    RETURNING a.id, a.balance_fen
), ledger_journal_row AS (
    INSERT INTO ledger_journal (id, kind, business_date, created_at, memo)
    SELECT {journal_id}, {document} ->> 'kind', ({document} ->> 'business_date')::date,
        ({document} ->> 'created_at')::timestamptz, {document} ->> 'memo'
    FROM {source}
), ledger_entries AS (
    INSERT INTO ledger_entry (journal_id, account_id, amount_fen)
    SELECT {journal_id}, line.account, line.amount
    FROM {source},
        jsonb_to_recordset({document} -> 'entries') AS line(account bigint, amount bigint)
)"""


def balance_after(account_id: str) -> str:
    """In a statement with `sale_posting_ctes`: the balance the posting left on the purse
    whose id is the expression `account_id` (NULL if the posting did not move it)."""
    return f"(SELECT balance_fen FROM ledger_moved WHERE id = {account_id})"


def sale_post(posting: SalePosting) -> tuple[int, dict[int, int]]:
    """Write the sale's posting through the ORM, inside the sale's transaction: the journal's
    id and each moved purse's balance after. A purse too short raises InsufficientFunds."""
    posting = posting.checked()
    journal = _write(
        JournalKind.MEAL,
        posting.business_date,
        posting.memo,
        posting.entries,
        posting.purse_moves,
        created_at=posting.created_at,
    )
    moved = [account for account, _delta in posting.purse_moves]
    return journal.pk, dict(Account.objects.filter(pk__in=moved).values_list("pk", "balance_fen"))
