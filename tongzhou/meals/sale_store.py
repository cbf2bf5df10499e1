"""The counter's sale in as few statements as the guarantees allow.

A sale is the hottest path of the platform: every elder, every meal, every canteen. It is
therefore written as hand-made SQL instead of ORM queries (building them cost more than the
database's work), in two statements:

1. `sale_facts`: one read of everything the quote depends on (the card and its elder, the
   elder's categories on the day, the three purses, the subsidy claims already made, the
   canteen's serving hours). It takes no lock.
2. `sale_write`: one statement on PostgreSQL (data-modifying CTEs: purse updates, journal,
   entries, meal, subsidy claim, QR use, stored answer), autocommitted, so it needs no
   BEGIN/COMMIT round trips; on SQLite the same rows through the ORM in one IMMEDIATE
   transaction.

The read is not locked, so the write must not trust it blindly. What it relies on is held by
the database and fails the whole statement when a concurrent sale got there first:
- a purse that would go below zero violates `account_purse_never_negative`;
- a second live subsidy for the session violates `claim_one_subsidised_meal_per_session`;
- a reused Idempotency-Key, terminal receipt number or QR code violates its unique constraint.
The caller reads again and re-prices on the first two (the second read sees the winner's
rows); a monthly cap, which no constraint can hold, is priced under the purses' row locks
instead (`ledger.services.purses_for(lock=True)`). A concurrent top-up between read and
write needs nothing: the draw still fits, and the receipt shows the balance the write left.

The sale's journal, entries and purse moves are the ledger's rows and its QR code's use is
identity's: each is written by its own module (`ledger.services.sale_posting_ctes`,
`identity.services.qr_use_cte`, and on SQLite the ORM through them), which this statement
embeds.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction

from tongzhou.canteens.services import terminal_columns
from tongzhou.core import sql
from tongzhou.geo.models import district_code
from tongzhou.identity.services import qr_use_cte, qr_use_record
from tongzhou.ledger.models import AccountKind
from tongzhou.ledger.services import (
    JOURNAL_ID,
    InsufficientFunds,
    SalePosting,
    balance_after,
    sale_post,
    sale_posting_ctes,
)
from tongzhou.meals.models import IdempotencyRecord, Meal, SubsidyClaim

# --- the read ----------------------------------------------------------------------------

_FACTS_COLUMNS = """
    e.id, e.name, e.birth_date, e.status, r.path,
    own.id, own.balance_fen, sub.id, sub.balance_fen, cha.id, cha.balance_fen,
    ms.starts_at, ms.ends_at,
    (SELECT COUNT(*) FROM meals_subsidyclaim s
      WHERE s.elder_id = e.id AND NOT s.released
        AND s.business_date = %(day)s AND s.session = %(session)s),
    (SELECT COUNT(*) FROM meals_subsidyclaim s
      WHERE s.elder_id = e.id AND NOT s.released
        AND s.business_date >= %(month_start)s AND s.business_date <= %(day)s),
    cat.code"""

# One row per category the elder holds on the day (or one row with no category).
_FACTS_JOINS = """
    LEFT JOIN geo_region r ON r.id = e.residence_id
    LEFT JOIN ledger_account own ON own.elder_id = e.id AND own.kind = 'elder_own'
    LEFT JOIN ledger_account sub ON sub.elder_id = e.id AND sub.kind = 'elder_subsidy'
    LEFT JOIN ledger_account cha ON cha.elder_id = e.id AND cha.kind = 'elder_charity'
    LEFT JOIN canteens_mealsession ms ON ms.canteen_id = {canteen} AND ms.kind = %(session)s
    LEFT JOIN elders_categorymembership m ON m.elder_id = e.id AND m.valid_from <= %(day)s
        AND (m.valid_to IS NULL OR m.valid_to >= %(day)s)
    LEFT JOIN elders_category cat ON cat.id = m.category_id"""

# The dishes on the canteen's menu for this meal, as one JSON array of [item, name, price]
# (read only when the order names dishes); the aggregate is the one thing spelt per database.
# It comes back as text on both, for orjson to parse.
_MENU = """
    (SELECT CAST({aggregate}({row}(i.id, d.name, i.price_fen)) AS TEXT) FROM canteens_menuitem i
      JOIN canteens_menu mu ON mu.id = i.menu_id JOIN canteens_dish d ON d.id = i.dish_id
      WHERE mu.canteen_id = {canteen} AND mu.date = %(day)s AND mu.session = %(session)s)"""
_JSON_AGGREGATE = {"postgresql": ("json_agg", "json_build_array"),
                   "sqlite": ("json_group_array", "json_array")}  # fmt: skip


_FACTS_COUNT = 19  # columns before the terminal's, in every shape
Row = tuple[Any, ...]


def _facts_sql(vendor: str, *, by: str, with_menu: bool) -> str:
    """The read in one of its shapes: `by` is "card" or "elder" (the canteen given), or
    "terminal" (a card sale whose terminal credential is checked by this same read)."""
    canteen = "tm.canteen_id" if by == "terminal" else "%(canteen)s"
    aggregate, row = _JSON_AGGREGATE[vendor]
    menu = _MENU.format(aggregate=aggregate, row=row, canteen=canteen) if with_menu else "NULL"
    joins = _FACTS_JOINS.format(canteen=canteen)
    if by == "terminal":
        return f"""
SELECT c.status, c.offline_verifier, {menu}, {_FACTS_COLUMNS}, {terminal_columns("tm", "tc")}
FROM canteens_terminal tm
JOIN canteens_canteen tc ON tc.id = tm.canteen_id
LEFT JOIN identity_card c ON c.number_hash IN (%(card_hash)s, %(card_hash_previous)s)
LEFT JOIN elders_elder e ON e.id = c.elder_id {joins}
WHERE tm.key_id = %(key_id)s"""
    if by == "card":
        return f"""
SELECT c.status, c.offline_verifier, {menu}, {_FACTS_COLUMNS}
FROM identity_card c
JOIN elders_elder e ON e.id = c.elder_id {joins}
WHERE c.number_hash IN (%(card_hash)s, %(card_hash_previous)s)"""
    return f"""
SELECT NULL, NULL, {menu}, {_FACTS_COLUMNS}
FROM elders_elder e {joins}
WHERE e.id = %(elder)s"""


# Built once per shape: the same text each time, so PostgreSQL's prepared statement is reused.
_FACTS_SQL = {
    (vendor, by, with_menu): _facts_sql(vendor, by=by, with_menu=with_menu)
    for vendor in _JSON_AGGREGATE
    for by in ("terminal", "card", "elder")
    for with_menu in (True, False)
}


@dataclass(frozen=True)
class Purse:
    account_id: int
    balance_fen: int


@dataclass(frozen=True)
class SaleFacts:
    card_status: str | None  # None when the elder was identified otherwise
    card_has_verifier: bool
    elder_id: int
    elder_name: str
    birth_date: dt.date
    elder_status: str
    residence_path: str
    purses: dict[str, Purse] | None  # None until the elder's purses exist
    serving: tuple[dt.time, dt.time] | None  # the canteen's hours for the session
    claimed_this_session: bool
    claims_this_month: int
    categories: frozenset[str]
    menu: dict[int, tuple[str, int]]  # menu item -> (dish, price), when asked for

    @property
    def district_code(self) -> str:
        return district_code(self.residence_path)


def sale_facts(
    *,
    session: str,
    day: dt.date,
    canteen_id: int | None = None,
    key_id: str | None = None,
    card_hashes: tuple[str, str] | None = None,
    elder_id: int | None = None,
    with_menu: bool = False,
) -> tuple[SaleFacts | None, tuple[Any, ...] | None]:
    """What a sale depends on, for the elder holding the card (or the elder given), with
        the canteen's menu for the meal if asked: None when no card has those hashes (the current
    lookup key's and, during a rotation, the previous one's). Given a
        terminal's key id instead of a canteen, the terminal's row (`terminal_columns`) comes
        too, None when no terminal has that key id."""
    params: dict[str, Any] = {
        "canteen": canteen_id,
        "key_id": key_id,
        "session": session,
        "day": day,
        "month_start": day.replace(day=1),
        "card_hash": card_hashes[0] if card_hashes else None,
        "card_hash_previous": card_hashes[1] if card_hashes else None,
        "elder": elder_id,
    }
    by = "terminal" if key_id is not None else "card" if card_hashes is not None else "elder"
    rows = sql.fetch_all(_FACTS_SQL[connection.vendor, by, with_menu], params)
    terminal_row = rows[0][_FACTS_COUNT:] if rows and key_id is not None else None
    if not rows or rows[0][3] is None:  # no such card (or terminal)
        return None, terminal_row
    (card_status, verifier, menu, elder, name, birth, status, path, own_id, own_fen, sub_id,
     sub_fen, cha_id, cha_fen, starts, ends, this_session, this_month,
     _code) = rows[0][:_FACTS_COUNT]  # fmt: skip
    if menu is not None:
        menu = orjson.loads(menu)
    purses: dict[str, Purse] | None = None
    if own_id is not None and sub_id is not None and cha_id is not None:
        purses = {
            AccountKind.ELDER_OWN: Purse(own_id, own_fen),
            AccountKind.ELDER_SUBSIDY: Purse(sub_id, sub_fen),
            AccountKind.ELDER_CHARITY: Purse(cha_id, cha_fen),
        }
    facts = SaleFacts(
        card_status=card_status,
        card_has_verifier=bool(verifier),
        elder_id=elder,
        elder_name=name,
        birth_date=birth,
        elder_status=status,
        residence_path=path,
        purses=purses,
        serving=(starts, ends) if starts is not None else None,
        claimed_this_session=this_session > 0,
        claims_this_month=this_month,
        categories=frozenset(row[_FACTS_COUNT - 1] for row in rows) - {None},
        menu={item: (dish, price) for item, dish, price in menu or ()},
    )
    return facts, terminal_row


# --- the write ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAnswer:
    """The answer a retried request with the same Idempotency-Key gets back."""

    key: str
    request_hash: str
    receipt: dict[str, Any]


@dataclass
class SalePlan:
    """Every row a sale writes. `meal` maps the meal's columns (journal and id aside) to
    their values; `posting` is its journal, entries and purse moves."""

    meal: dict[str, Any]
    posting: SalePosting
    own_account_id: int
    own_balance_fen: int  # the own purse after the sale, as the read saw it
    claim: bool
    qr_step: int | None = None
    answer: StoredAnswer | None = None


class SaleConflict(Exception):
    """The write met a concurrent change (or a reuse) that a constraint refused."""

    RETRY = ("purse", "claim", "receipt_no")

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# (kind, constraint name, how SQLite words a violation of it)
_CONSTRAINTS = (
    ("purse", "account_purse_never_negative", "account_purse_never_negative"),
    ("claim", "claim_one_subsidised_meal_per_session", "meals_subsidyclaim.elder_id"),
    ("answer", "idempotency_key_once", "meals_idempotencyrecord.terminal_id"),
    ("receipt", "meal_terminal_receipt_once", "meals_meal.terminal_id"),
    ("qr", "qr_code_used_once", "identity_qruse.elder_id"),
    ("receipt_no", "meal_receipt_no_once", "meals_meal.receipt_no"),
)


def _conflict(error: IntegrityError) -> SaleConflict | IntegrityError:
    for kind, constraint, sqlite_says in _CONSTRAINTS:
        if sql.violated(error, constraint, sqlite_says):
            return SaleConflict(kind)
    return error


# The meal's columns a sale writes (its id and journal aside).
MEAL_COLUMNS = (
    "receipt_no", "canteen_id", "terminal_id", "client_receipt_no", "elder_id",
    "business_date", "session", "created_at", "device_time", "lines", "total_fen",
    "subsidy_fen", "district_fen", "city_fen", "charity_fen", "canteen_discount_fen",
    "delivery_fee_fen", "delivery_subsidy_fen", "subsidy_purse_fen", "charity_purse_fen",
    "own_fen", "policy_id", "rule_id", "outcome", "age_band", "categories", "status",
)  # fmt: skip


# One statement: every part commits together or, on any violation, none does. The sale comes
# as one JSON document that the database unpacks: one parameter to send instead of forty,
# and row counts the planner cannot see into, so the prepared statement's generic plan costs
# what a custom one would and PostgreSQL keeps it rather than planning every sale anew. The
# ids are drawn first, so that the sale's rows join up.
_OWN_AFTER = balance_after("(sale.doc ->> 'own_account')::bigint")
_WRITE_BASE = f"""
WITH sale AS MATERIALIZED (
    SELECT given.doc, {JOURNAL_ID} AS journal_id,
        nextval(pg_get_serial_sequence('meals_meal', 'id')) AS meal_id
    FROM (SELECT %(sale)s::jsonb AS doc) AS given
), {sale_posting_ctes(source="sale", document="sale.doc -> 'posting'", journal_id="sale.journal_id")}, meal AS (
    INSERT INTO meals_meal (id, {", ".join(MEAL_COLUMNS)}, journal_id)
    SELECT sale.meal_id, {", ".join(f"row.{column}" for column in MEAL_COLUMNS)}, sale.journal_id
    FROM sale, jsonb_populate_record(NULL::meals_meal, sale.doc -> 'meal') AS row
)"""  # noqa: E501
# The rows only some sales write, each its own CTE: a CTE that inserts nothing still opens
# its table and every index of it on each execution, so a statement names only the tables
# its sale writes (one prepared statement per shape).
_WRITE_CLAIM = """, claim AS (
    INSERT INTO meals_subsidyclaim (elder_id, business_date, session, meal_id, released)
    SELECT (doc #>> '{meal,elder_id}')::bigint, (doc #>> '{meal,business_date}')::date,
        doc #>> '{meal,session}', meal_id, false
    FROM sale
)"""
_WRITE_QR_USE = ", " + qr_use_cte(
    source="sale",
    elder_id="(sale.doc #>> '{meal,elder_id}')::bigint",
    step="(sale.doc ->> 'qr_step')::bigint",
    used_at="(sale.doc #>> '{meal,created_at}')::timestamptz",
)
_WRITE_ANSWER = f""", answer AS (
    INSERT INTO meals_idempotencyrecord
        (terminal_id, key, request_hash, status_code, response, created_at)
    SELECT (doc #>> '{{meal,terminal_id}}')::bigint, doc #>> '{{answer,key}}',
        doc #>> '{{answer,request_hash}}', 201,
        jsonb_set(doc #> '{{answer,receipt}}', '{{own_balance_fen}}', to_jsonb(coalesce(
            {_OWN_AFTER}, (doc ->> 'own_balance')::bigint))),
        (doc #>> '{{meal,created_at}}')::timestamptz
    FROM sale
)"""
_WRITE_RESULT = f"""
SELECT sale.meal_id, sale.journal_id, {_OWN_AFTER}
FROM sale"""

# (claim, QR use, stored answer) -> the statement; built once, so each text is the same
# every time and PostgreSQL's prepared statement is reused.
_WRITE_POSTGRESQL = {
    (claim, qr_use, answer): _WRITE_BASE
    + (_WRITE_CLAIM if claim else "")
    + (_WRITE_QR_USE if qr_use else "")
    + (_WRITE_ANSWER if answer else "")
    + _WRITE_RESULT
    for claim in (False, True)
    for qr_use in (False, True)
    for answer in (False, True)
}


def _sale_document(plan: SalePlan) -> str:
    sale: dict[str, Any] = {
        "meal": plan.meal,  # orjson writes dates and times as isoformat() does
        "posting": plan.posting.document(),
        "own_account": plan.own_account_id,
        "own_balance": plan.own_balance_fen,
    }
    if plan.qr_step is not None:
        sale["qr_step"] = plan.qr_step
    if plan.answer is not None:
        answer = plan.answer
        sale["answer"] = {
            "key": answer.key, "request_hash": answer.request_hash, "receipt": answer.receipt
        }  # fmt: skip
    return orjson.dumps(sale).decode()


def _write_postgresql(plan: SalePlan) -> tuple[int, int, int]:
    """Write the sale in one statement: (meal id, journal id, own purse after)."""
    # Inside a caller's transaction a failed statement would poison it: give it a savepoint.
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        shape = (plan.claim, plan.qr_step is not None, plan.answer is not None)
        row = sql.fetch_one(_WRITE_POSTGRESQL[shape], {"sale": _sale_document(plan)})
    assert row is not None
    meal_id, journal_id, own_after = row
    return meal_id, journal_id, plan.own_balance_fen if own_after is None else own_after


def _write_orm(plan: SalePlan) -> tuple[int, int, int]:
    """The same rows through the ORM, in one transaction (SQLite has no data-modifying CTEs;
    its round trips are function calls)."""
    meal = plan.meal
    with transaction.atomic():
        try:
            journal_id, balances = sale_post(plan.posting)
        except InsufficientFunds:
            raise SaleConflict("purse") from None  # a concurrent sale drew first: read again
        meal_id = Meal.objects.create(**meal, journal_id=journal_id).pk
        if plan.claim:
            SubsidyClaim.objects.create(
                elder_id=meal["elder_id"],
                business_date=meal["business_date"],
                session=meal["session"],
                meal_id=meal_id,
            )
        if plan.qr_step is not None:
            qr_use_record(elder_id=meal["elder_id"], step=plan.qr_step, used_at=meal["created_at"])
        own_after = balances.get(plan.own_account_id, plan.own_balance_fen)
        if plan.answer is not None:
            IdempotencyRecord.objects.create(
                terminal_id=meal["terminal_id"],
                key=plan.answer.key,
                request_hash=plan.answer.request_hash,
                status_code=201,
                response={**plan.answer.receipt, "own_balance_fen": own_after},
                created_at=meal["created_at"],
            )
    return meal_id, journal_id, own_after


def sale_write(plan: SalePlan) -> tuple[int, int, int]:
    """Write the sale; returns (meal id, journal id, own purse balance after). Raises
    SaleConflict when a constraint refused it (nothing is written then)."""
    plan.posting = plan.posting.checked()  # the ledger's rules, before anything is sent
    try:
        if sql.is_postgresql():
            return _write_postgresql(plan)
        return _write_orm(plan)
    except IntegrityError as error:
        raise _conflict(error) from error
