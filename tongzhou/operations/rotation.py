"""Running a key rotation: each owner of encrypted or hashed data rewrites its rows batch by
batch (its service returns rows changed and the last id read, None when done). Rows already
under the new key are skipped by the owner, so a run that stopped resumes by running again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Batches = Callable[..., tuple[int, int | None]]


class Writer(Protocol):
    def write(self, text: str) -> object: ...


def run_batches(owners: dict[str, Batches], out: Writer) -> dict[str, int]:
    """Every owner's rows, in order; the number changed per owner, also written to `out`."""
    totals: dict[str, int] = {}
    for label, rewrite in owners.items():
        total, after = 0, 0
        while True:
            changed, last = rewrite(after_pk=after)
            total += changed
            if last is None:
                break
            after = last
        totals[label] = total
        out.write(f"{label}: {total} rewritten\n")
    return totals
