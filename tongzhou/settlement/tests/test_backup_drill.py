"""The restore drill: sell, book, settle and enrol a face; back up while serving; restore into
an empty database; then the ledger check passes there, the counts and balances are those of
the original, and an encrypted ID number still decrypts with the keys kept apart."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tongzhou.access.roles import Role
from tongzhou.bookings.services import booking_create
from tongzhou.core import crypto
from tongzhou.core.backups import RestoreRefused, backup, restore
from tongzhou.elders.models import Elder
from tongzhou.meals.tests.conftest import LUNCH_NOW
from tongzhou.meals.tests.test_checkout import sell
from tongzhou.settlement.services import statement_for, statement_submit

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
FACES = ROOT / "tests" / "data" / "faces"
# What must come back the same: rows of each family, and the money in the purses.
FIGURES = {
    "elders": "SELECT count(*) FROM elders_elder",
    "meals": "SELECT count(*) FROM meals_meal",
    "journals": "SELECT count(*) FROM ledger_journal",
    "entries": "SELECT count(*), sum(amount_fen) FROM ledger_entry",
    "purses": "SELECT sum(balance_fen) FROM ledger_account WHERE kind LIKE 'elder_%'",
    "bookings": "SELECT count(*) FROM bookings_booking",
    "statements": "SELECT count(*), max(status) FROM settlement_statement",
    "faces": "SELECT count(*) FROM identity_faceenrolment",
    "audit": "SELECT count(*) FROM audit_auditevent",
}


def _figures(cursor: Any) -> dict[str, Any]:
    found = {}
    for name, query in FIGURES.items():
        cursor.execute(query)
        found[name] = tuple(cursor.fetchone())
    return found


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database URL where nothing is yet: a new file, or a new PostgreSQL database."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    config = settings.DATABASES["default"]
    name = f"tongzhou_drill_{uuid.uuid4().hex[:8]}"
    base = f"postgres://{config['USER']}@{config['HOST']}:{config['PORT']}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _open(url: str) -> Any:
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://"))


def test_back_up_wipe_restore_and_everything_reads(
    live_zhoushan: None, counter: Any, make_member: Any, make_user: Any, superuser: Any,
    lunch_time: Any, tmp_path: Path, empty_database: str,
) -> None:  # fmt: skip
    elder, card = make_member(name="演练阿婆")
    assert sell(counter, card).status_code == 201
    counter.canteen.delivers = True
    counter.canteen.save(update_fields=["delivers"])
    day = LUNCH_NOW.date() + dt.timedelta(days=2)
    booking_create(actor=superuser, elder=elder, canteen=counter.canteen, day=day,
                   session="lunch", mode="eat_in")  # fmt: skip
    manager = make_user(Role.CANTEEN_MANAGER, canteen=counter.canteen)
    statement = statement_for(actor=manager, canteen=counter.canteen, day=LUNCH_NOW.date())
    lunch_time(LUNCH_NOW + dt.timedelta(days=25))  # the month is over
    statement_submit(actor=manager, statement_id=statement.pk)
    if (FACES / "obama.jpg").exists() and _has_face_engine():
        from tongzhou.identity.face_services import face_enrol

        face_enrol(actor=superuser, elder=elder, image=(FACES / "obama.jpg").read_bytes(),
                   consent_method="written", keep_photo=True)  # fmt: skip
    with connection.cursor() as cursor:
        before = _figures(cursor)
    id_number = crypto.decrypt(Elder.objects.get(pk=elder.pk).id_number_encrypted)

    folder = backup(tmp_path / "backups")
    # The keys are kept apart: no file of the backup holds one.
    for part in folder.iterdir():
        data = part.read_bytes()
        assert not any(key.encode() in data for key in settings.FIELD_ENCRYPTION_KEYS), part
    restore(folder, empty_database)
    with pytest.raises(RestoreRefused):  # never over data, unless asked
        restore(folder, empty_database)

    restored = _open(empty_database)
    try:
        cursor = restored.cursor()
        assert _figures(cursor) == before
        cursor.execute("SELECT id, id_number_encrypted FROM elders_elder")
        encrypted = dict(cursor.fetchall())[elder.pk]
        assert crypto.decrypt(encrypted) == id_number
    finally:
        restored.close()
    env = {**os.environ, "DATABASE_URL": empty_database}
    checked = subprocess.run(
        [sys.executable, "manage.py", "ledger_check"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every journal balances" in checked.stdout


def test_a_damaged_backup_is_refused(
    live_zhoushan: None, tmp_path: Path, empty_database: str
) -> None:
    folder = backup(tmp_path / "backups")
    database = next(p for p in folder.iterdir() if p.name.startswith("database."))
    data = database.read_bytes()
    database.write_bytes(data[:200] + bytes(b ^ 0xFF for b in data[200:216]) + data[216:])
    with pytest.raises(RestoreRefused, match="checksum"):
        restore(folder, empty_database)


def _has_face_engine() -> bool:
    from tongzhou.identity import face

    return face.available()
