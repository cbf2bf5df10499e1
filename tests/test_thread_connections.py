"""A thread's database connection closes when the thread ends, without the garbage
collector (tongzhou/core/thread_connections.py)."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_collector() -> Iterator[None]:
    """What closes the connection must be the thread's end, not a collection."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _closed(raw: Any) -> bool:
    if isinstance(raw, sqlite3.Connection):
        try:
            raw.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return True
        return False
    return bool(raw.closed)


def _in_thread(work: Callable[[], Any]) -> Any:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()))
    thread.start()
    thread.join()
    return box[0]


def _open_own_connection() -> tuple[Any, int | None]:
    with connection.cursor() as cursor:  # this thread's own wrapper
        cursor.execute("SELECT 1")
    raw = connection.connection
    return raw, raw.info.backend_pid if connection.vendor == "postgresql" else None


def _sessions(pid: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return int(cursor.fetchone()[0])


def test_an_ended_threads_connection_is_closed(no_collector: None) -> None:
    raw, pid = _in_thread(_open_own_connection)

    assert _closed(raw)
    if pid is not None:  # and the database's session is gone, not only the socket
        for _ in range(50):
            if _sessions(pid) == 0:
                break
            time.sleep(0.02)
        assert _sessions(pid) == 0


def test_many_threads_leave_no_sessions_behind(no_collector: None) -> None:
    raws = [_in_thread(_open_own_connection)[0] for _ in range(6)]
    assert all(_closed(raw) for raw in raws)


def test_a_connection_lent_to_a_thread_stays_open_when_the_thread_ends(
    no_collector: None,
) -> None:
    own = connections["default"]
    own.close()
    own.inc_thread_sharing()

    def borrow() -> Any:
        connections["default"] = own  # as a live server thread is given the test's own
        with own.cursor() as cursor:  # the borrower opens it
            cursor.execute("SELECT 1")
        return own.connection

    try:
        raw = _in_thread(borrow)
        assert raw is own.connection
        assert not _closed(raw)
        with own.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        own.dec_thread_sharing()
