"""How accounts are stored: a purse's balance changes on every sale, so that update must touch
as little as possible (on PostgreSQL, only the row's own page)."""

from __future__ import annotations

import pytest
from django.db import connection


def _indexes() -> dict[str, tuple[list[str], bool]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "ledger_account")
    return {
        name: (info["columns"], bool(info["unique"] or info["primary_key"]))
        for name, info in found.items()
        if info["index"] or info["unique"] or info["primary_key"]
    }


@pytest.mark.django_db
def test_accounts_are_found_by_owner_through_one_unique_index_each() -> None:
    indexes = _indexes()
    owners = sorted(columns[0] for columns, _unique in indexes.values() if columns != ["id"])
    assert owners == ["canteen_id", "elder_id", "fund_id", "region_id"], indexes
    for columns, unique in indexes.values():
        assert unique, indexes  # one index per owner: the unique one serves the foreign key
        assert columns in (["id"], [columns[0], "kind"]), indexes
        assert "balance_fen" not in columns  # an indexed balance could never update in place


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_account_pages_keep_room_for_a_balance_update_in_place() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_account'")
        (options,) = cursor.fetchone()
    assert "fillfactor=80" in (options or []), options
