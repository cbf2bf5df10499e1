"""The sale's hand-written statements: how many a sale costs, that both writers write the
same rows, and what happens when a purse changes between the read and the write."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongzhou.ledger.models import Entry
from tongzhou.ledger.services import SalePosting, ledger_check, purses_for
from tongzhou.meals import sale_store, services
from tongzhou.meals.models import IdempotencyRecord, Meal, SubsidyClaim
from tongzhou.meals.tests.conftest import LUNCH_NOW
from tongzhou.meals.tests.test_checkout import nothing_written, sell
from tongzhou.purses.services import purse_correct, purse_credit


@pytest.mark.django_db(transaction=True)
def test_a_counter_sale_costs_two_statements(
    live_zhoushan: None, counter: Any, make_member: Any
) -> None:
    _first, warm_card = make_member()
    assert sell(counter, warm_card, key="warm").status_code == 201  # caches: policy, accounts
    _elder, card = make_member()
    with CaptureQueriesContext(connection) as queries:
        response = sell(counter, card, key="measured", receipt="2")
    assert response.status_code == 201, response.json()
    statements = [" ".join(query["sql"].split()) for query in queries]
    # One read: the terminal's credential, the card's elder and all the sale depends on,
    # the menu's prices among them.
    assert statements[0].startswith("SELECT c.status, c.offline_verifier, (SELECT CAST(json")
    assert "FROM canteens_terminal tm" in statements[0]
    if connection.vendor == "postgresql":
        # Autocommitted: no BEGIN or COMMIT round trips, and one statement writes it all.
        assert len(statements) == 2, [statement[:60] for statement in statements]
        assert statements[1].startswith("WITH sale AS")
    # SQLite has no data-modifying CTEs: the ORM writes a statement per table, in one
    # transaction. Either way the write names only the tables this sale writes (a card sale
    # uses no QR code).
    writes = re.findall(r'(?:INSERT INTO|UPDATE) "?(\w+)', " ".join(statements[1:]))
    assert writes == [
        "ledger_account",
        "ledger_journal",
        "ledger_entry",
        "meals_meal",
        "meals_subsidyclaim",
        "meals_idempotencyrecord",
    ], statements


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_single_statement_and_the_orm_writer_write_the_same_rows(
    counter: Any, make_member: Any, superuser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a, card_a = make_member(name="王秀英", own_fen=300)
    _b, card_b = make_member(name="王秀英", own_fen=300)
    # 12.00: the subsidy, the subsidy purse and own money.
    extra = {"lines": [{"amount_fen": 1200}]}
    for elder in (_a, _b):
        purse_credit(elder=elder, amount_fen=100, purse="elder_subsidy", actor=superuser)
    first = sell(counter, card_a, key="one", receipt="1", **extra).json()
    monkeypatch.setattr(sale_store.sql, "is_postgresql", lambda: False)  # SQLite's writer
    second = sell(counter, card_b, key="two", receipt="2", **extra).json()

    def comparable(receipt: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in receipt.items() if k not in ("receipt_no", "client_receipt_no")}

    assert comparable(first) == comparable(second)
    assert first["paid"] == {"subsidy_purse_fen": 100, "charity_purse_fen": 0, "own_fen": 100}
    meals = list(Meal.objects.order_by("pk"))
    fields = [f.attname for f in Meal._meta.concrete_fields]
    differ = {"id", "receipt_no", "client_receipt_no", "elder_id", "created_at", "journal_id"}
    for name in set(fields) - differ:
        assert getattr(meals[0], name) == getattr(meals[1], name), name

    def entries(meal: Meal) -> list[tuple[str, int]]:
        rows = Entry.objects.filter(journal_id=meal.journal_id).select_related("account")
        return sorted((entry.account.kind, entry.amount_fen) for entry in rows)

    assert entries(meals[0]) == entries(meals[1])
    assert SubsidyClaim.objects.filter(meal__in=meals).count() == 2
    answers = [IdempotencyRecord.objects.get(key=key).response for key in ("one", "two")]
    assert [comparable(answer) for answer in answers] == [comparable(first)] * 2
    assert ledger_check() == []


def _after_the_read(monkeypatch: pytest.MonkeyPatch, meddle: Any) -> None:
    """Let `meddle` change the elder's purses once, right after the sale has read them:
    what a concurrent sale or top-up would do in that instant."""
    read = services.sale_facts
    calls = {"n": 0}

    def read_then_meddle(**kwargs: Any) -> Any:
        facts, terminal_row = read(**kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            meddle(facts.elder_id)
        return facts, terminal_row

    monkeypatch.setattr(services, "sale_facts", read_then_meddle)


def test_a_purse_drained_between_read_and_write_is_read_again(
    counter: Any, make_member: Any, superuser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    elder, card = make_member(own_fen=300)  # 74 years old: pays 2.00 of the 12.00 set meal
    before = nothing_written()

    def spend_it(elder_id: int) -> None:
        purse_correct(
            actor=superuser, elder=elder, purse="elder_own", amount_fen=-250, reason="并发扣款"
        )

    _after_the_read(monkeypatch, spend_it)
    response = sell(counter, card)
    assert response.status_code == 402, response.json()
    assert response.json()["error"]["details"] == {"shortfall_fen": 150}
    assert nothing_written() == before
    assert purses_for(elder.pk)["elder_own"].balance_fen == 50
    assert ledger_check() == []


def test_a_top_up_between_read_and_write_shows_on_the_receipt(
    counter: Any, make_member: Any, superuser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    elder, card = make_member(own_fen=300)

    def top_up(elder_id: int) -> None:
        purse_credit(elder=elder, amount_fen=1000, actor=superuser)

    _after_the_read(monkeypatch, top_up)
    response = sell(counter, card, key="t")
    assert response.status_code == 201, response.json()
    # 3.00 + 10.00 topped up - 2.00 for the meal: the balance the write left, not the read's.
    assert response.json()["own_balance_fen"] == 1100
    assert purses_for(elder.pk)["elder_own"].balance_fen == 1100
    assert IdempotencyRecord.objects.get(key="t").response == response.json()
    assert ledger_check() == []


def test_a_write_that_does_not_balance_is_refused() -> None:
    posting = SalePosting(
        business_date=LUNCH_NOW.date(),
        created_at=LUNCH_NOW,
        memo="",
        purse_moves=[(1, -100)],
        entries=[(1, -100), (2, 90)],
    )
    plan = sale_store.SalePlan(
        meal={}, posting=posting, own_account_id=1, own_balance_fen=0, claim=False
    )
    with pytest.raises(ValueError, match="sum to zero"):
        sale_store.sale_write(plan)
    plan.posting = replace(posting, entries=[(3, -100), (2, 100)])
    with pytest.raises(ValueError, match="moves by exactly its entries"):
        sale_store.sale_write(plan)


def test_the_sale_s_read_refuses_a_bad_terminal_credential_first(
    counter: Any, make_member: Any
) -> None:
    _elder, card = make_member()
    key_id, secret = counter.credential.split("_", 2)[1:]
    before = nothing_written()
    for credential, code in (
        (f"tzt_{key_id}_{secret[:-1]}x", "terminal_credential_invalid"),  # wrong secret
        (f"tzt_{'0' * len(key_id)}_{secret}", "terminal_credential_invalid"),  # no such key
        ("tzt-not-a-credential", "terminal_credential_malformed"),
    ):
        for presented_card in (card, "NOSUCHCARD99", "12" + "0" * 21):  # card, unknown, QR
            response = Client(HTTP_AUTHORIZATION=f"Bearer {credential}").post(
                "/api/v1/checkout",
                {"card": presented_card, "session": "lunch", "receipt_no": "1",
                 "lines": [{"menu_item_id": counter.menu_item.pk}]},
                content_type="application/json", HTTP_IDEMPOTENCY_KEY="k",
            )  # fmt: skip
            assert response.status_code == 401, (credential, presented_card)
            assert response.json()["error"]["code"] == code
    assert nothing_written() == before
    assert sell(counter, card).status_code == 201  # the right credential still sells
