"""The sale's ledger rows, written on its hot path (one statement on PostgreSQL, the ORM
elsewhere), are the rows `ledger.services.post` writes for the same lines."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tongzhou.ledger.models import Account, Journal
from tongzhou.ledger.services import ledger_check, post, purses_for
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.test_checkout import sell
from tongzhou.purses.services import purse_credit

pytestmark = pytest.mark.django_db


def _rows(journal: Journal, purse_owner: int) -> dict[str, Any]:
    """A journal and its entries, with the elder's purses named by kind (two elders' sales
    are compared) and every other account by its id."""

    def account(row: Account) -> str:
        return row.kind if row.elder_id == purse_owner else f"account {row.pk}"

    journal_row = (journal.kind, journal.business_date, journal.created_at, journal.memo)
    return {
        "journal": (*journal_row, journal.reverses_id),
        "entries": sorted(
            (account(entry.account), entry.amount_fen)
            for entry in journal.entries.select_related("account")
        ),
    }


def test_the_hot_path_writes_the_ledger_rows_post_writes(
    counter: Any, make_member: Any, superuser: Any
) -> None:
    hot, card = make_member(own_fen=300)
    orm, _card = make_member(own_fen=300)
    for elder in (hot, orm):
        purse_credit(elder=elder, amount_fen=100, purse="elder_subsidy", actor=superuser)
    # 12.00: the subsidy, then the elder's 2.00 from the subsidy purse and own money.
    receipt = sell(counter, card, lines=[{"amount_fen": 1200}]).json()
    assert receipt["paid"] == {"subsidy_purse_fen": 100, "charity_purse_fen": 0, "own_fen": 100}
    sold = Meal.objects.get(receipt_no=receipt["receipt_no"]).journal

    hot_purses, orm_purses = purses_for(hot.pk), purses_for(orm.pk)
    theirs = {purse.pk: orm_purses[kind] for kind, purse in hot_purses.items()}
    lines = [
        (theirs.get(entry.account_id, entry.account), entry.amount_fen)
        for entry in sold.entries.select_related("account")
    ]
    with transaction.atomic():
        posted = post(kind=sold.kind, business_date=sold.business_date, lines=lines,
                      memo=sold.memo)  # fmt: skip

    assert _rows(sold, hot.pk) == _rows(posted, orm.pk)
    assert (
        {kind: purse.balance_fen for kind, purse in purses_for(hot.pk).items()}
        == {kind: purse.balance_fen for kind, purse in purses_for(orm.pk).items()}
        == {"elder_own": 200, "elder_subsidy": 0, "elder_charity": 0}
    )
    assert ledger_check() == []
