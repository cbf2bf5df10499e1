"""A journal is reversed at most once, and a meal has at most one reversal; both are held by
partial unique indexes, so that the journals and meals of sales, which reverse nothing, put no
NULL into them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from tongzhou.ledger.models import Journal, JournalKind

pytestmark = pytest.mark.django_db


def _index_definition(name: str) -> str:
    query = {
        "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
        "sqlite": "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(query, [name])
        row = cursor.fetchone()
    assert row is not None, f"no index {name}"
    return str(row[0])


@pytest.mark.parametrize(
    ("table", "column", "index"),
    [
        ("ledger_journal", "reverses_id", "journal_reversed_once"),
        ("meals_meal", "reversal_id", "meal_reversal_once"),
    ],
)
def test_the_only_index_on_a_reversal_skips_what_reverses_nothing(
    table: str, column: str, index: str
) -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    on_column = sorted(
        name
        for name, info in constraints.items()
        if info["columns"] == [column] and (info["index"] or info["unique"])
    )
    assert on_column == [index], constraints
    definition = _index_definition(index)
    for spelling in '"()':  # PostgreSQL gives back its own spelling of the predicate
        definition = definition.replace(spelling, "")
    assert f"WHERE {column} IS NOT NULL" in definition, definition


def test_a_journal_is_reversed_once() -> None:
    day = dt.date(2026, 12, 2)
    sale = Journal.objects.create(kind=JournalKind.MEAL, business_date=day)
    Journal.objects.create(kind=JournalKind.VOID, business_date=day, reverses=sale)
    Journal.objects.create(kind=JournalKind.MEAL, business_date=day)  # reverses nothing: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Journal.objects.create(kind=JournalKind.REFUND, business_date=day, reverses=sale)
    assert Journal.objects.filter(reverses=sale).count() == 1
