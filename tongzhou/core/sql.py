"""Hand-written SQL for the few hot paths where the ORM's query building costs more than the
database's work (the counter's sale). Statements use named placeholders, which Django passes
to both SQLite and PostgreSQL; on PostgreSQL they are bound on the server, so psycopg
prepares a statement after a few uses and the server stops planning it on every sale.

On PostgreSQL a statement runs on one Django cursor kept with the connection rather than on
a new one each time: making the cursor (Django's wrapper and psycopg's cursor under it) cost
about as much Python as running a trivial statement on it, measured in process. The kept
cursor is Django's own, so it still refuses a broken transaction, applies execute wrappers
and raises Django's exceptions. When statements are being recorded (DEBUG,
`CaptureQueriesContext`) each gets a new recording cursor; SQLite keeps none, since a
cursor left with unread rows would hold its statement (and read snapshot) open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections

_KEPT = "_tongzhou_cursor"  # (psycopg connection, Django cursor on it) on the connection wrapper


@cache
def is_postgresql() -> bool:
    # The default database's engine is the process's for life; asking the connection proxy
    # (a lookup in asgiref's thread-local) costs a few µs each time, several times a sale.
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def _run(sql: str, params: Mapping[str, Any], answer: Callable[[Any], Any]) -> Any:
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.queries_logged:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return answer(cursor)
    db.ensure_connection()
    kept = db.__dict__.get(_KEPT)
    if kept is None or kept[0] is not db.connection:  # none yet, or the connection reopened
        kept = db.__dict__[_KEPT] = (db.connection, db.cursor())
    cursor = kept[1]
    cursor.execute(sql, params)
    return answer(cursor)


def fetch_all(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return _run(sql, params, lambda cursor: cursor.fetchall())


def fetch_one(sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    return _run(sql, params, lambda cursor: cursor.fetchone())


def execute(sql: str, params: Mapping[str, Any]) -> int:
    return _run(sql, params, lambda cursor: cursor.rowcount)


def violated(error: IntegrityError, constraint: str, sqlite_says: str) -> bool:
    """Whether `error` is a violation of `constraint`. PostgreSQL names the constraint;
    SQLite names a CHECK constraint but describes a UNIQUE one by its columns, which the
    caller passes as `sqlite_says` (e.g. "meals_meal.terminal_id, meals_meal.client_").
    """
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None:
        return diag.constraint_name == constraint
    message = str(error)
    return constraint in message or sqlite_says in message
