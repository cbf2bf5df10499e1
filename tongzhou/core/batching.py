"""Statements that a process's threads make at the same moment, sent to the database as one
(for writes, what databases call group commit).

Every statement costs the database a fixed share whatever it does (opening its tables and
indexes, starting and ending a transaction, for a write flushing the WAL, a round trip) and
the server the driver's machinery around it. While one thread's statement is on its way,
the threads that come meanwhile wait for it to end; then the first of them sends all of
theirs as one statement, on its own connection, while the others wait for their results.
A thread alone goes at once, so nothing waits on a quiet counter.

Given a key (an elder's id, say), a batch holds at most one item per key, in key order:
writes of the same key may depend on each other (the second sale of an elder sees the
first one's purse), and writing in key order keeps two batches from waiting on each other's
rows. If a batch of several fails, whatever the cause (a constraint that one item broke, a
deadlock, a dropped connection), each of its items is sent again alone by its own thread,
so that each meets its own error and none is lost or done twice: a batch's statement
commits as a whole or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Wake:
    """A one-shot wake-up: a lock taken when made and released once to wake the one thread
    that waits on it. A sale makes two (its read's and its write's); an Event, a Condition
    with its own waiter lock in Python, cost twelve times as much to make, set and wait on."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        self._lock.release()  # a second wake-up of one ticket would raise here

    def wait(self) -> None:
        self._lock.acquire()


@dataclass
class _Ticket(Generic[Item, Result]):
    item: Item
    key: int | None
    woken: _Wake = field(default_factory=_Wake)
    result: Result | None = None
    leads: bool = False  # woken to send the next batch
    alone: bool = False  # the batch failed: send the item alone


class Batcher(Generic[Item, Result]):
    """Runs items through `run_many` (items in, one result per item out, in order),
    grouping the items that arrive while a batch is under way; `key` gives an item's key
    when two items of one key must not share a batch."""

    def __init__(
        self,
        run_many: Callable[[list[Item]], list[Result]],
        *,
        key: Callable[[Item], int] | None = None,
        limit: int = 32,
    ) -> None:
        self._run_many = run_many
        self._key = key
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: list[_Ticket[Item, Result]] = []
        self._busy = False

    @property
    def waiting(self) -> int:
        """Items waiting for the batch under way to end (the next batch's, and its leader's)."""
        with self._lock:
            return len(self._waiting)

    def run(self, item: Item) -> Result:
        ticket: _Ticket[Item, Result] = _Ticket(item, self._key(item) if self._key else None)
        with self._lock:
            self._waiting.append(ticket)
            leads = ticket.leads = not self._busy
            self._busy = True
        if not leads:
            ticket.woken.wait()
            if ticket.alone:
                return self._run_many([item])[0]
            if not ticket.leads:
                return ticket.result  # type: ignore[return-value]
        return self._lead(ticket)

    def _lead(self, own: _Ticket[Item, Result]) -> Result:
        batch = self._take(own)
        try:
            results = self._run_many([ticket.item for ticket in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} items")
        except BaseException:
            self._hand_over()
            others = [ticket for ticket in batch if ticket is not own]
            for ticket in others:
                ticket.alone = True
                ticket.woken.set()
            if not others:
                raise
            return self._run_many([own.item])[0]
        self._hand_over()
        for ticket, result in zip(batch, results, strict=True):
            ticket.result = result
            if ticket is not own:
                ticket.woken.set()
        return results[batch.index(own)]

    def _take(self, own: _Ticket[Item, Result]) -> list[_Ticket[Item, Result]]:
        """The leader's item and those waiting (of other keys), in key order if keyed."""
        with self._lock:
            batch, keys, rest = [own], {own.key}, []
            for ticket in self._waiting:
                if ticket is own:
                    continue
                if len(batch) < self._limit and (ticket.key is None or ticket.key not in keys):
                    batch.append(ticket)
                    keys.add(ticket.key)
                else:
                    rest.append(ticket)
            self._waiting = rest
        if self._key is not None:
            batch.sort(key=lambda ticket: ticket.key or 0)
        return batch

    def _hand_over(self) -> None:
        """Wake the first thread that came while this batch ran, to send the next."""
        with self._lock:
            if not self._waiting:
                self._busy = False
                return
            successor = self._waiting[0]
            successor.leads = True
        successor.woken.set()
