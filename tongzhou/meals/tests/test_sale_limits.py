"""Sales the funds can trust: a sale's lines, portions and total stay within the policy's
limits for its meal, a line's price comes from the canteen's menu (a typed-in amount only
where the canteen allows one, within its cap), a counter cannot charge a delivery, and a
counter's clock far from the server's is refused; a sale far above the canteen's usual
raises an anomaly case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.meals.tests.conftest import LUNCH_NOW
from tongzhou.meals.tests.test_checkout import nothing_written, sell
from tongzhou.settlement.anomalies import detect_anomalies
from tongzhou.settlement.models import AnomalyCase, AnomalyKind
from tongzhou.settlement.services import period_for
from tongzhou.subsidies.models import SubsidyPolicy
from tongzhou.subsidies.selectors import clear_cache

pytestmark = pytest.mark.django_db


def _code(response: Any) -> str:
    assert response.status_code == 400, response.content
    return str(response.json()["error"]["code"])


def test_a_tekun_card_cannot_make_the_funds_pay_for_anything(
    counter: Any, make_member: Any, superuser: Any
) -> None:
    elder, card = make_member()
    membership_add(actor=superuser, elder=elder, category=Category.objects.get(code="tekun"),
                   valid_from=dt.date(2020, 1, 1))  # fmt: skip
    before = nothing_written()
    huge = [{"amount_fen": 100_000, "quantity": 20}] * 20  # 20 lines of 1,000 yuan × 20
    assert _code(sell(counter, card, lines=huge)) == "sale_too_many_lines"
    assert _code(sell(counter, card, lines=[{"amount_fen": 100_000, "quantity": 20}])) in (
        "quantity_over_limit",
    )
    assert _code(sell(counter, card, lines=[{"amount_fen": 100_000}])) == "open_amount_over_limit"
    dish = {"menu_item_id": counter.menu_item.pk, "quantity": 3}  # 3 × 12.00 within the cap
    over = sell(counter, card, lines=[dish, dish])  # 72.00 over lunch's 50.00
    assert _code(over) == "sale_total_over_limit"
    assert over.json()["error"]["details"] == {"total_fen": 7200, "max_total_fen": 5000}
    assert nothing_written() == before
    fine = sell(counter, card, lines=[dish])
    assert fine.status_code == 201 and fine.json()["total_fen"] == 3600


def test_the_limits_are_the_policy_s_for_the_meal(counter: Any, make_member: Any) -> None:
    _elder, card = make_member()
    SubsidyPolicy.objects.update(max_lunch_fen=1000)
    clear_cache()
    assert _code(sell(counter, card)) == "sale_total_over_limit"  # the 12.00 set meal
    SubsidyPolicy.objects.update(max_lunch_fen=5000, max_quantity=1)
    clear_cache()  # a version in force never changes but here: read it again
    two = [{"menu_item_id": counter.menu_item.pk, "quantity": 2}]
    assert _code(sell(counter, card, lines=two)) == "quantity_over_limit"


def test_a_typed_in_amount_only_where_the_canteen_allows_it(counter: Any, make_member: Any) -> None:
    _elder, card = make_member()
    counter.canteen.open_amount_max_fen = 0
    counter.canteen.save(update_fields=["open_amount_max_fen"])
    assert _code(sell(counter, card, lines=[{"amount_fen": 1200}])) == "open_amount_not_allowed"
    assert sell(counter, card).status_code == 201  # a dish of the menu, at its price


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00", "9999-12-31T23:59:59",
                                    "2026-03-10T11:30:00+08:00"])  # fmt: skip
def test_a_counter_clock_far_from_the_server_s_is_refused(
    counter: Any, make_member: Any, moment: str
) -> None:
    _elder, card = make_member()
    before = nothing_written()
    assert _code(sell(counter, card, device_time=moment)) == "device_time_implausible"
    assert nothing_written() == before
    near = (LUNCH_NOW - dt.timedelta(minutes=3)).isoformat()
    assert sell(counter, card, device_time=near).status_code == 201


def test_a_sale_far_above_the_canteen_s_usual_is_an_anomaly(counter: Any, make_member: Any) -> None:
    for i in range(10):
        _elder, card = make_member()
        assert sell(counter, card, key=f"k{i}", receipt=f"r{i}").status_code == 201  # 12.00
    _elder, card = make_member()
    dish = {"menu_item_id": counter.menu_item.pk, "quantity": 3}
    big = sell(counter, card, key="big", receipt="big", lines=[dish]).json()  # 36.00
    found = detect_anomalies(period_for("monthly", LUNCH_NOW.date()))
    assert found[AnomalyKind.UNUSUAL_TOTAL] == 1
    case = AnomalyCase.objects.get(kind=AnomalyKind.UNUSUAL_TOTAL)
    assert case.evidence["receipt_no"] == big["receipt_no"]
    assert case.evidence["median_fen"] == 1200 and "3.0倍" in case.summary
