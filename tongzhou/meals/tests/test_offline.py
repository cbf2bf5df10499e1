"""Offline counters: the pack a counter downloads, and batches of offline sales replayed
shuffled and duplicated: nothing lost, nothing doubled, conflicts resolved by one rule."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.identity import offline as identity_offline
from tongzhou.identity import qr
from tongzhou.identity.services import card_report_lost, qr_current_code, qr_identity_for
from tongzhou.ledger.services import ledger_check
from tongzhou.meals.models import Meal, MealStatus, OfflineSale, SubsidyClaim
from tongzhou.meals.offline import answer
from tongzhou.meals.tests.conftest import LUNCH_NOW, Counter

pytestmark = pytest.mark.django_db


def sale(
    card: str, minutes: int, *, fen: int = 1200, client_id: str | None = None
) -> dict[str, Any]:
    key = client_id or uuid.uuid4().hex
    return {
        "client_id": key,
        "receipt_no": f"off-{key[:12]}",
        "card": card,
        "session": "lunch",
        "device_time": (LUNCH_NOW - dt.timedelta(minutes=minutes)).isoformat(),
        "lines": [{"amount_fen": fen}],
    }


def sync(counter: Counter, sales: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    response = counter.client().post(
        "/api/v1/terminal/offline-sales", {"sales": sales}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return {row["client_id"]: row for row in response.json()["results"]}


def test_the_pack_lets_a_counter_check_cards_and_codes_without_the_secret(
    counter: Counter, make_member: Callable[..., Any]
) -> None:
    elder, card = make_member(name="周阿公")
    identity = qr_identity_for(elder)  # made when the elder's page first shows a code
    pack = counter.client().get("/api/v1/terminal/offline-pack").json()
    assert pack["iterations"] == identity_offline.ITERATIONS
    salt = base64.b64decode(pack["salt"])
    slow = hashlib.pbkdf2_hmac("sha256", card.encode(), salt, pack["iterations"], 16).hex()
    person = pack["elders"][pack["verifiers"][slow]]
    assert person == {"name": "周*公", "age_band": "70-79"}
    assert card not in str(pack) and "周阿公" not in str(pack)
    # A rotating code shown now verifies with the day key alone.
    code = qr_current_code(identity)
    entry = pack["rotating"][code[2:11]]
    step = qr.step_at(LUNCH_NOW.timestamp())
    day_key = base64.b64decode(entry["keys"][str(qr.day_of(step))])
    digest = hmac.new(day_key, code[:15].encode(), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    assert f"{number % 10**8:08d}" == code[15:]
    assert set(entry["keys"]) == {str(qr.day_of(step)), str(qr.day_of(step) + 1)}


def test_shuffled_and_duplicated_batches_post_every_sale_once(
    make_counter: Callable[[str], Counter], make_member: Callable[..., Any]
) -> None:
    outcomes = []
    for seed in range(4):
        rng = random.Random(seed)
        north, south = make_counter("330902002001"), make_counter("330902002002")
        twice, twice_card = make_member(own_fen=5000)
        others = [make_member(own_fen=5000) for _ in range(3)]
        _poor, poor_card = make_member(own_fen=50)
        sales = {
            "n-twice": (north, sale(twice_card, 50)),  # earlier: keeps the subsidy
            "s-twice": (south, sale(twice_card, 20)),
            "n-poor": (north, sale(poor_card, 45)),
            "s-poor": (south, sale(poor_card, 44)),
            **{f"n-{i}": (north, sale(card, 30 - i)) for i, (_e, card) in enumerate(others)},
        }
        # Batches: each counter's sales, split, shuffled, with duplicates, interleaved.
        batches: list[tuple[Counter, list[dict[str, Any]]]] = []
        for counter in (north, south):
            mine = [s for c, s in sales.values() if c is counter]
            for _round in range(3):
                rng.shuffle(mine)
                batches.append((counter, mine[: rng.randint(1, len(mine))] + mine[:1]))
            batches.append((counter, mine))
        rng.shuffle(batches)
        answers: dict[str, dict[str, Any]] = {}
        for counter, batch in batches:
            answers.update(sync(counter, batch))
        assert set(answers) == {s["client_id"] for _c, s in sales.values()}
        # A later sync may re-price an earlier answer: the rows hold the final word.
        by_name = {
            name: answer(OfflineSale.objects.get(client_id=s["client_id"]))
            for name, (_c, s) in sales.items()
        }
        # Every sale has exactly one row and at most one live meal; nothing doubled.
        for name, (_counter, s) in sales.items():
            rows = OfflineSale.objects.filter(client_id=s["client_id"])
            assert rows.count() == 1, name
            live = Meal.objects.filter(
                client_receipt_no__startswith=s["receipt_no"], status=MealStatus.COMPLETED
            )
            assert live.count() == (0 if by_name[name]["outcome"] == "review" else 1), name
        claims = SubsidyClaim.objects.filter(elder=twice, released=False)
        assert claims.count() == 1
        assert claims.get().meal.client_receipt_no == sales["n-twice"][1]["receipt_no"]
        outcomes.append(
            {
                name: (row["outcome"] != "review", row["subsidy_fen"] or 0, row["own_fen"] or 0)
                for name, row in by_name.items()
            }
        )
    # The same sales resolve the same way whatever the order they arrived in.
    assert all(outcome == outcomes[0] for outcome in outcomes)
    first = outcomes[0]
    assert first["n-twice"][1] > 0 and first["s-twice"][1] == 0 and first["s-twice"][2] == 1200
    assert first["s-poor"][0] is False  # full price is more than the elder's 0.50 yuan
    assert ledger_check() == []


def test_a_card_blocked_since_goes_to_review_uncharged(
    counter: Counter, make_member: Callable[..., Any], superuser: Any
) -> None:
    elder, card = make_member()
    card_report_lost(actor=superuser, card=elder.cards.get())
    result = sync(counter, [sale(card, 10)])
    (row,) = result.values()
    assert (row["outcome"], row["reason_code"], row["meal_receipt_no"]) == (
        "review",
        "card_blocked",
        None,
    )
    assert not Meal.objects.exists()


def test_a_sale_posted_online_whose_answer_was_lost_is_not_posted_again(
    counter: Counter, make_member: Callable[..., Any]
) -> None:
    _elder, card = make_member()
    offline = sale(card, 5)
    online = counter.client().post(
        "/api/v1/checkout",
        {
            "card": card,
            "session": "lunch",
            "lines": offline["lines"],
            "receipt_no": offline["receipt_no"],
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=offline["client_id"],
    )
    assert online.status_code == 201
    (row,) = sync(counter, [offline]).values()
    assert row["meal_receipt_no"] == online.json()["receipt_no"]
    assert Meal.objects.count() == 1
