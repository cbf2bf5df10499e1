"""Migrations must not stop sales for long. Every statement a migration runs on a table that
grows with the city (sales, ledger, cards, elders, bookings, the audit) is classified on this
database: one that holds a lock while it rewrites or scans the table (an index built without
CONCURRENTLY, a column's type changed, a constraint validated at once, a table rebuilt by
SQLite) or a data migration is allowed only where `docs/operations.md` notes it, with what it
costs at city scale and how to run it. Statements on a table the same migration creates are
free: the table is empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tongzhou.operations.migration_locks import LARGE_TABLES

NOTES = Path(__file__).resolve().parents[1] / "docs" / "operations.md"
OWN_APPS = ("tongzhou.",)

# Statements that only touch the catalogue (or take a lock for an instant) on PostgreSQL.
_INSTANT_PG = [
    re.compile(
        r'^ALTER TABLE "\w+" ADD COLUMN "\w+" [^;]*?;$'
    ),  # checked for CHECK/REFERENCES below
    re.compile(r'^ALTER TABLE "\w+" ALTER COLUMN "\w+" DROP DEFAULT;$'),
    re.compile(r'^ALTER TABLE "\w+" ALTER COLUMN "\w+" DROP NOT NULL;$'),
    re.compile(r'^ALTER TABLE "\w+" RENAME '),
    re.compile(r'^ALTER TABLE "\w+" DROP CONSTRAINT '),
    re.compile(r'^ALTER TABLE "\w+" ADD CONSTRAINT .* NOT VALID;$'),
    re.compile(r"^(CREATE|DROP) INDEX CONCURRENTLY "),
    re.compile(r"^DROP INDEX "),
]
_SCANS = re.compile(r"\b(CHECK|REFERENCES)\b")


def _touched(statement: str) -> str | None:
    """The existing table a statement works on, if it names one."""
    found = re.search(
        r'^(?:ALTER TABLE|UPDATE|DELETE FROM|INSERT INTO) "(\w+)"|\bON "(\w+)"', statement
    )
    return (found.group(1) or found.group(2)) if found else None


def risky_statements(statements: list[str], vendor: str) -> list[str]:
    created = {m.group(1) for s in statements if (m := re.match(r'^CREATE TABLE "(\w+)"', s))}
    risky = []
    for statement in statements:
        if statement.startswith(("-- Raw Python operation", "-- Raw SQL")):
            risky.append(statement)
            continue
        if statement.startswith("--"):
            continue
        if vendor == "sqlite":
            rebuilt = re.match(r'^CREATE TABLE "new__(\w+)"', statement)
            if rebuilt and rebuilt.group(1) in LARGE_TABLES:
                risky.append(statement)
            elif statement.startswith("CREATE") and "INDEX" in statement.split(" ON ")[0]:
                table = _touched(statement)
                if table in LARGE_TABLES and table not in created:
                    risky.append(statement)
            continue
        table = _touched(statement)
        if table not in LARGE_TABLES or table in created:
            continue
        instant = any(p.match(statement) for p in _INSTANT_PG)
        if instant and " ADD COLUMN " in statement and _SCANS.search(statement):
            instant = False
        if not instant:
            risky.append(statement)
    return risky


def documented() -> set[str]:
    """The migrations `docs/operations.md` notes, as `app.name`."""
    return set(re.findall(r"^\| `(\w+\.\d{4}_\w+)` \|", NOTES.read_text(), flags=re.M))


def findings() -> dict[str, list[str]]:
    loader = MigrationLoader(connection, replace_migrations=False)
    found = {}
    for key, migration in sorted(loader.disk_migrations.items()):
        if not type(migration).__module__.startswith(OWN_APPS):
            continue
        statements = loader.collect_sql([(loader.graph.nodes[key], False)])
        risky = risky_statements(statements, connection.vendor)
        if risky:
            found[f"{key[0]}.{key[1]}"] = risky
    return found


# Outside a transaction: SQLite's schema editor, which writes the SQL, refuses to run in one.
@pytest.mark.django_db(transaction=True)
def test_every_migration_that_locks_a_large_table_is_noted() -> None:
    missing = {name: risky for name, risky in findings().items() if name not in documented()}
    assert not missing, (
        "note these in docs/operations.md (what they cost at city scale, how to run them): "
        + "; ".join(f"{name}: {risky[0][:120]}" for name, risky in missing.items())
    )


def test_the_classifier_tells_a_blocking_statement_from_an_instant_one() -> None:
    blocking = [
        'CREATE INDEX "meals_meal_x" ON "meals_meal" ("elder_id");',
        'ALTER TABLE "ledger_entry" ALTER COLUMN "amount_fen" TYPE bigint;',
        'ALTER TABLE "identity_card" ADD CONSTRAINT "c" CHECK ("status" <> \'\');',
        'ALTER TABLE "elders_elder" ADD COLUMN "x" integer DEFAULT 0 NOT NULL CHECK ("x" >= 0);',
        "-- Raw Python operation",
    ]
    instant = [
        'ALTER TABLE "identity_card" ADD COLUMN "number_encrypted" text DEFAULT \'\' NOT NULL;',
        'ALTER TABLE "identity_card" ALTER COLUMN "number_encrypted" DROP DEFAULT;',
        'CREATE INDEX CONCURRENTLY "meals_meal_x" ON "meals_meal" ("elder_id");',
        'CREATE TABLE "meals_new" ("id" bigint NOT NULL PRIMARY KEY);',
        'CREATE INDEX "meals_new_x" ON "meals_new" ("id");',
        'CREATE INDEX "canteens_dish_x" ON "canteens_dish" ("canteen_id");',  # a small table
    ]
    assert risky_statements(blocking, "postgresql") == blocking
    assert risky_statements(instant, "postgresql") == []
    rebuild = ['CREATE TABLE "new__meals_meal" ("id" integer NOT NULL PRIMARY KEY);']
    assert risky_statements(rebuild, "sqlite") == rebuild
