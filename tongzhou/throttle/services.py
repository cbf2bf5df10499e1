"""Limits on failed attempts: a key (a sign-in client, a terminal, a QR token) that fails
`limit` times within `window` is locked out for `lockout`.

`guarded(key, rule)` takes the key's row lock for the attempt, so that concurrent attempts
under one key are counted one after the other on every process: a limit of five lets five
through, not sixty. The failure must be recorded in a transaction that commits: an attempt
answers its refusal after the block, not from inside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.throttle.models import Throttle


@dataclass(frozen=True)
class Rule:
    code: str  # the refusal's stable code while locked out
    limit: int
    window: dt.timedelta
    lockout: dt.timedelta
    message_zh: str
    message_en: str


class Throttled(DomainError):
    def __init__(self, rule: Rule, until: dt.datetime) -> None:
        super().__init__(
            code=rule.code,
            message_zh=rule.message_zh,
            message_en=rule.message_en,
            status=429,
            details={"retry_after_seconds": max(1, int((until - clock.now()).total_seconds()))},
        )


@dataclass
class Guard:
    row: Throttle
    rule: Rule

    def failed(self) -> None:
        now = clock.now()
        self.row.failures += 1
        if self.row.failures >= self.rule.limit:
            self.row.locked_until = now + self.rule.lockout
        self.row.save(update_fields=["failures", "locked_until"])

    def succeeded(self) -> None:
        if self.row.failures or self.row.locked_until:
            self.row.failures, self.row.locked_until = 0, None
            self.row.save(update_fields=["failures", "locked_until"])


def _refuse_if_locked(row: Throttle, rule: Rule) -> None:
    if row.locked_until is not None and row.locked_until > clock.now():
        raise Throttled(rule, row.locked_until)


@contextmanager
def guarded(key: str, rule: Rule) -> Iterator[Guard]:
    """One attempt under `key`, in a transaction holding the key's row: refused at once
    (Throttled) while the key is locked out; the caller marks the attempt failed or not."""
    now = clock.now()
    with transaction.atomic():
        row, _created = Throttle.objects.select_for_update().get_or_create(
            key=key[:120], defaults={"window_started_at": now}
        )
        _refuse_if_locked(row, rule)
        if now - row.window_started_at > rule.window:
            row.window_started_at, row.failures, row.locked_until = now, 0, None
            row.save(update_fields=["window_started_at", "failures", "locked_until"])
        yield Guard(row, rule)


def refuse_if_locked(key: str, rule: Rule) -> None:
    """A read, for a hot path that records failures only when they happen (`note_failure`)."""
    row = Throttle.objects.filter(key=key[:120]).only("locked_until").first()
    if row is not None:
        _refuse_if_locked(row, rule)


def note_failure(key: str, rule: Rule) -> None:
    """Count a failure under `key` in a transaction of its own (call it outside any
    transaction that will roll back)."""
    with guarded(key, rule) as guard:
        guard.failed()
