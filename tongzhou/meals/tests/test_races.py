"""Real parallel clients: threads, each with its own database connection, checking out at the
same instant. On PostgreSQL they truly overlap; on SQLite the write lock queues them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tongzhou.canteens.models import Terminal
from tongzhou.canteens.services import PresentedTerminal, terminal_presented
from tongzhou.core.errors import DomainError
from tongzhou.core.masking import mask_name
from tongzhou.ledger.models import Entry
from tongzhou.ledger.services import ledger_check, purses_for
from tongzhou.meals import services
from tongzhou.meals.models import IdempotencyRecord, Meal, SubsidyClaim

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment; return each result or the error it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except DomainError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _sale(
    terminal: Terminal | PresentedTerminal,
    card: str,
    key: str,
    receipt: str,
    session: str = "lunch",
    **line: Any,
) -> Callable[[], Any]:
    request = services.CheckoutRequest(
        card=card,
        session=session,
        lines=[services.Line(**(line or {"amount_fen": 1200}))],
        client_receipt_no=receipt,
    )
    body = {"card": card, "receipt": receipt, **line}
    return lambda: services.checkout(
        terminal=terminal,
        request=request,
        idempotency_key=key,
        fingerprint=services.request_fingerprint(body),
    )


@pytest.fixture
def two_counters(live_zhoushan: None, make_counter: Any) -> tuple[Terminal, Terminal]:
    here = make_counter("330902002001")  # 定海 昌国
    there = make_counter("330903100001")  # 普陀 六横
    return (
        Terminal.objects.get(canteen=here.canteen),
        Terminal.objects.get(canteen=there.canteen),
    )


def test_same_elder_at_two_canteens_at_once_gets_one_subsidy(
    two_counters: tuple[Terminal, Terminal], make_member: Any
) -> None:
    here, there = two_counters
    for round_no in range(5):
        elder, card = make_member(own_fen=5000)
        results = run_together(
            [
                _sale(here, card, f"a{round_no}", f"a{round_no}"),
                _sale(there, card, f"b{round_no}", f"b{round_no}"),
            ]
        )
        sold = [r for r in results if isinstance(r, services.CheckoutResult)]
        refused = [r for r in results if isinstance(r, DomainError)]
        assert len(sold) == 1 and len(refused) == 1, results
        assert refused[0].code == "subsidy_already_used"
        assert Meal.objects.filter(elder=elder, subsidy_fen__gt=0).count() == 1
        assert purses_for(elder.pk)["elder_own"].balance_fen == 5000 - 200
    assert ledger_check() == []


def test_one_key_many_retries_one_charge(
    two_counters: tuple[Terminal, Terminal], make_member: Any
) -> None:
    here, _there = two_counters
    elder, card = make_member(own_fen=5000)
    results = run_together([_sale(here, card, "same-key", "r1") for _ in range(8)])
    assert all(isinstance(r, services.CheckoutResult) for r in results), results
    assert len({r.receipt["receipt_no"] for r in results}) == 1
    assert Meal.objects.filter(elder=elder).count() == 1
    assert purses_for(elder.pk)["elder_own"].balance_fen == 4800


def test_no_purse_goes_below_zero_and_postings_sum_to_zero(
    two_counters: tuple[Terminal, Terminal], make_member: Any
) -> None:
    here, there = two_counters
    elder, card = make_member(own_fen=1200)
    # 4 yuan each, below the 5-yuan minimum spend: no subsidy, the elder pays it all.
    calls = [
        _sale(here if i % 2 else there, card, f"k{i}", f"r{i}", amount_fen=400) for i in range(10)
    ]
    results = run_together(calls)
    sold = [r for r in results if isinstance(r, services.CheckoutResult)]
    short = [r for r in results if isinstance(r, DomainError)]
    assert len(sold) == 3, results
    assert {error.code for error in short} == {"balance_insufficient"}
    assert purses_for(elder.pk)["elder_own"].balance_fen == 0
    assert sum(Entry.objects.values_list("amount_fen", flat=True)) == 0
    assert ledger_check() == []


def test_a_monthly_cap_holds_when_two_sessions_sell_at_once(
    two_counters: tuple[Terminal, Terminal], make_member: Any, superuser: Any
) -> None:
    """No constraint can count a month, so such a policy is priced under the purses' lock:
    breakfast at one canteen and lunch at another, at the same instant, get one subsidy."""
    import datetime as dt

    from tongzhou.canteens.services import meal_session_set
    from tongzhou.subsidies.models import SubsidyPolicy
    from tongzhou.subsidies.selectors import clear_cache

    SubsidyPolicy.objects.update(monthly_cap_meals=1)
    clear_cache()
    here, there = two_counters
    meal_session_set(
        actor=superuser, canteen=there.canteen, kind="breakfast",
        starts_at=dt.time(6, 0), ends_at=dt.time(12, 0),
    )  # fmt: skip
    for round_no in range(5):
        elder, card = make_member(own_fen=5000)
        results = run_together(
            [
                _sale(here, card, f"l{round_no}", f"l{round_no}"),
                _sale(there, card, f"b{round_no}", f"b{round_no}", session="breakfast"),
            ]
        )
        assert all(isinstance(r, services.CheckoutResult) for r in results), results
        outcomes = sorted(r.receipt["subsidy"]["outcome"] for r in results)
        assert outcomes == ["applied", "monthly_cap"], outcomes
        assert Meal.objects.filter(elder=elder, subsidy_fen__gt=0).count() == 1
    assert ledger_check() == []


def test_sales_of_many_elders_at_once_each_get_their_own_receipt(
    live_zhoushan: None, counter: Any, make_member: Any
) -> None:
    """Counter sales of several elders at the same instant: each receipt is that elder's."""
    members = [make_member(own_fen=1000 + 100 * i) for i in range(6)]
    line = {"menu_item_id": counter.menu_item.pk}  # the 12.00 set meal, from today's menu
    results = run_together(
        [
            _sale(terminal_presented(counter.credential), card, f"k{i}", f"r{i}", **line)
            for i, (_elder, card) in enumerate(members)
        ]
    )
    for i, ((elder, _card), result) in enumerate(zip(members, results, strict=True)):
        assert isinstance(result, services.CheckoutResult), result
        # 74 years old: pays 2.00 of the 12.00 set meal, from their own 10.00 + i yuan.
        assert result.receipt["own_balance_fen"] == 1000 + 100 * i - 200
        assert result.receipt["elder"]["name"] == mask_name(elder.name)
        meal = Meal.objects.get(receipt_no=result.receipt["receipt_no"])
        assert (meal.elder_id, meal.client_receipt_no) == (elder.pk, f"r{i}")
        assert purses_for(elder.pk)["elder_own"].balance_fen == 1000 + 100 * i - 200
        stored = IdempotencyRecord.objects.get(key=f"k{i}").response
        assert stored == result.receipt
    assert SubsidyClaim.objects.count() == len(members)
    assert ledger_check() == []
