"""Hand-written SQL for the few hot paths where the ORM's query building costs more than the
database's work (the counter's sale). Statements use named placeholders, which Django passes
to both SQLite and PostgreSQL; on PostgreSQL they are bound on the server, so psycopg
prepares a statement after a few uses and the server stops planning it on every sale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def fetch_all(sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one(sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params: Mapping[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


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
