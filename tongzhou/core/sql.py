"""Hand-written SQL for the few hot paths where the ORM's query building costs more than the
database's work (the counter's sale). Statements use named placeholders, which Django passes
to both SQLite and PostgreSQL; on PostgreSQL they are bound on the server, so psycopg
prepares a statement after a few uses and the server stops planning it on every sale.

On PostgreSQL a statement runs on one psycopg cursor kept with the connection, not on a new
Django cursor wrapper each time: the wrapper and the new cursor cost about as much Python as
psycopg's own execution (about 70 µs of CPU per statement, measured in process). What the
wrapper does for correctness is kept: the connection is opened if needed, a broken
transaction is refused, and errors come as Django's own (`IntegrityError` and the rest,
marking the connection for its health check). When statements are being recorded (DEBUG,
`CaptureQueriesContext`) or wrapped (`connection.execute_wrapper`), they go through Django's
cursor so that they are seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_KEPT = "_tongzhou_cursor"  # (psycopg connection, its cursor) on Django's connection wrapper


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _kept_cursor(db: BaseDatabaseWrapper) -> Any:
    """The cursor kept with the open connection, or None where Django's cursor must run the
    statement. The caller runs it inside `db.wrap_database_errors`."""
    if db.vendor != "postgresql" or db.queries_logged or db.execute_wrappers:
        return None
    db.ensure_connection()
    db.validate_no_broken_transaction()
    raw = db.connection
    kept = db.__dict__.get(_KEPT)
    if kept is None or kept[0] is not raw:  # none yet, or the connection was reopened
        kept = (raw, db.create_cursor())  # with the time zone Django gives its cursors
        db.__dict__[_KEPT] = kept
    return kept[1]


def _run(sql: str, params: Mapping[str, Any], answer: Callable[[Any], Any]) -> Any:
    db = connections[DEFAULT_DB_ALIAS]
    cursor = _kept_cursor(db)
    if cursor is None:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return answer(cursor)
    with db.wrap_database_errors:
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
