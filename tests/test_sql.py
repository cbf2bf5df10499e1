"""The hot path's statements (`tongzhou.core.sql`) behave as on a new Django cursor, on the
cursor kept with the connection (PostgreSQL) and on a new one (SQLite, or when recorded)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from tongzhou.core import sql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def probe() -> Any:
    """A table of the test's own with a named unique constraint."""
    sql.execute("CREATE TABLE sql_probe (code text CONSTRAINT sql_probe_code_once UNIQUE)", {})
    sql.execute("INSERT INTO sql_probe (code) VALUES ('taken')", {})
    yield
    sql.execute("DROP TABLE sql_probe", {})


_TAKE = "INSERT INTO sql_probe (code) VALUES (%(code)s)"


def test_statements_answer_and_survive_a_reconnect(probe: None) -> None:
    assert sql.fetch_one("SELECT %(n)s + 1", {"n": 41}) == (42,)
    assert sql.fetch_all("SELECT 1 UNION ALL SELECT 2 ORDER BY 1", {}) == [(1,), (2,)]
    connection.close()  # as at a request's end when the connection is too old
    assert sql.fetch_one("SELECT %(n)s * 2", {"n": 21}) == (42,)
    assert sql.execute("UPDATE sql_probe SET code = code WHERE code = %(c)s", {"c": "taken"}) == 1


def test_a_refused_statement_raises_djangos_error_and_leaves_the_connection_usable(
    probe: None,
) -> None:
    with pytest.raises(IntegrityError) as refused:
        sql.execute(_TAKE, {"code": "taken"})
    # The constraint is found by name (PostgreSQL) or wording (SQLite), as the sale needs.
    assert sql.violated(refused.value, "sql_probe_code_once", "sql_probe.code")
    assert not sql.violated(refused.value, "another_constraint", "sql_probe.other")
    assert sql.execute(_TAKE, {"code": "free"}) == 1


def test_a_statement_in_a_broken_transaction_is_refused(probe: None) -> None:
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            sql.execute(_TAKE, {"code": "taken"})
        # Django marked the transaction for rollback: nothing more may run in it.
        with pytest.raises(TransactionManagementError):
            sql.fetch_one("SELECT 1", {})


def test_times_come_back_as_from_djangos_cursor() -> None:
    statement = "SELECT %(at)s"
    at = dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"at": connection.ops.adapt_datetimefield_value(at)})
        expected = cursor.fetchone()
    got = sql.fetch_one(statement, {"at": connection.ops.adapt_datetimefield_value(at)})
    assert got == expected
    if connection.vendor == "postgresql":
        statement = "SELECT %(at)s::timestamptz"
        value = sql.fetch_one(statement, {"at": at})
        assert value is not None and value[0] == at and value[0].utcoffset() == dt.timedelta(0)


def test_recorded_statements_are_seen() -> None:
    with CaptureQueriesContext(connection) as queries:
        sql.fetch_one("SELECT %(n)s + 1", {"n": 1})
    assert [" ".join(q["sql"].split()) for q in queries] == ["SELECT 1 + 1"]
