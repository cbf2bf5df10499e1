"""The batcher that sends concurrent sales' statements as one: real threads, with the
first batch held open until the others have come, so that what forms is known."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tests.batching import HeldBatcher, hold_first_batch
from tongzhou.core.batching import Batcher


class Refused(Exception):
    pass


def held_first_batch(
    run_many: Callable[[list[int]], list[str]], hold_until: int
) -> HeldBatcher[int, str]:
    """Items keyed by their tens: 20 and 21 share a key."""
    return hold_first_batch(run_many, hold_until, key=lambda item: item // 10)


def run_in_threads(held: HeldBatcher[int, str], first: int, then: list[int]) -> dict[int, object]:
    """`first` goes alone; the others come while its batch is open."""
    results: dict[int, object] = {}

    def call(item: int) -> None:
        try:
            results[item] = held.batcher.run(item)
        except Refused as error:
            results[item] = error

    leader = threading.Thread(target=call, args=(first,))
    leader.start()
    assert held.opened.wait(10)  # the rest come while the leader's batch is open
    others = [threading.Thread(target=call, args=(item,)) for item in then]
    for thread in others:
        thread.start()
    for thread in [leader, *others]:
        thread.join(timeout=20)
    return results


def test_a_lone_item_goes_at_once_in_a_batch_of_its_own() -> None:
    batcher: Batcher[int, str] = Batcher(lambda items: [f"r{item}" for item in items])
    assert batcher.run(7) == "r7"
    assert batcher.waiting == 0


def test_items_that_come_during_a_batch_go_together_each_getting_its_own_result() -> None:
    held = held_first_batch(lambda items: [f"r{i}" for i in items], hold_until=4)
    results = run_in_threads(held, 5, [41, 12, 33, 24])
    assert held.batches == [[5], [12, 24, 33, 41]]  # the second in key order
    assert results == {5: "r5", 12: "r12", 24: "r24", 33: "r33", 41: "r41"}


def test_two_items_of_one_key_never_share_a_batch() -> None:
    held = held_first_batch(lambda items: [f"r{i}" for i in items], hold_until=3)
    results = run_in_threads(held, 1, [20, 21, 30])
    assert held.batches[0] == [1]
    # 20 and 21 share a key (2): whichever came second waits for the batch after.
    later = sorted(sorted(batch) for batch in held.batches[1:])
    assert later in ([[20, 30], [21]], [[21, 30], [20]])
    assert results == {1: "r1", 20: "r20", 21: "r21", 30: "r30"}


def test_when_a_batch_fails_each_item_is_run_again_alone_and_meets_its_own_error() -> None:
    def refuse_13(items: list[int]) -> list[str]:
        if 13 in items:
            raise Refused(f"13 among {items}")
        return [f"r{i}" for i in items]

    held = held_first_batch(refuse_13, hold_until=3)
    results = run_in_threads(held, 1, [13, 22, 34])
    assert held.batches[:2] == [[1], [13, 22, 34]]
    assert sorted(held.batches[2:]) == [[13], [22], [34]]  # each alone, none lost, none twice
    assert results[1] == "r1" and results[22] == "r22" and results[34] == "r34"
    assert isinstance(results[13], Refused) and str(results[13]) == "13 among [13]"


def test_a_lone_item_that_fails_raises_to_its_caller_and_the_batcher_goes_on() -> None:
    def refuse_odd(items: list[int]) -> list[str]:
        if any(item % 2 for item in items):
            raise Refused("odd")
        return [f"r{i}" for i in items]

    batcher: Batcher[int, str] = Batcher(refuse_odd)
    with pytest.raises(Refused):
        batcher.run(3)
    assert batcher.run(4) == "r4"
