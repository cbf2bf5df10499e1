"""A batcher whose first batch is held open, for tests that need to know what forms: the
items that come while it is open are sent together in the next batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tongzhou.core.batching import Batcher

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class HeldBatcher(Generic[Item, Result]):
    batcher: Batcher[Item, Result]
    batches: list[list[Item]] = field(default_factory=list)  # every batch sent, in order
    opened: threading.Event = field(default_factory=threading.Event)  # the first is under way


def hold_first_batch(
    run_many: Callable[[list[Item]], list[Result]],
    until: int,
    *,
    key: Callable[[Item], int] | None = None,
) -> HeldBatcher[Item, Result]:
    """A batcher over `run_many` that records every batch and keeps the first one open until
    `until` items wait behind it (or ten seconds pass)."""

    def recorded(items: list[Item]) -> list[Result]:
        held.batches.append(list(items))
        if len(held.batches) == 1:
            held.opened.set()
            deadline = time.monotonic() + 10
            while held.batcher.waiting < until and time.monotonic() < deadline:
                time.sleep(0.001)
        return run_many(items)

    held: HeldBatcher[Item, Result] = HeldBatcher(Batcher(recorded, key=key))
    return held
