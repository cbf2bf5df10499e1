import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.canteens.services import DELIVERY_TERMINAL, service_terminal, terminal_revoke
from tongzhou.elders.models import Category, ElderStatus
from tongzhou.elders.services import elder_set_status, membership_add
from tongzhou.identity.models import Card
from tongzhou.identity.services import Resolved, card_report_lost
from tongzhou.ledger.models import Entry, Journal
from tongzhou.ledger.services import ledger_check
from tongzhou.meals.models import IdempotencyRecord, Meal, SubsidyClaim
from tongzhou.meals.services import CheckoutRequest, Line, sell_to_known_elder
from tongzhou.meals.tests.conftest import LUNCH_NOW

pytestmark = pytest.mark.django_db


def sell(counter: Any, card: str, key: str = "k1", receipt: str = "0001", **extra: Any) -> Any:
    body = {
        "card": card,
        "session": "lunch",
        "lines": [{"menu_item_id": counter.menu_item.pk, "quantity": 1}],
        "receipt_no": receipt,
        **extra,
    }
    return counter.client().post(
        "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def nothing_written() -> tuple[int, int, int, int]:
    return (Meal.objects.count(), SubsidyClaim.objects.count(), IdempotencyRecord.objects.count(),
            Journal.objects.filter(kind="meal").count())  # fmt: skip


def test_a_subsidised_lunch_and_its_receipt(counter: Any, make_member: Any) -> None:
    _elder, card = make_member(name="王秀英")  # 74 on the day: 70-79 pays 2 yuan
    response = sell(counter, card)
    assert response.status_code == 201, response.json()
    receipt = response.json()
    assert receipt["elder"] == {"name": "王*英", "age_band": "70-79", "categories": []}
    assert receipt["total_fen"] == 1200
    assert receipt["subsidy"]["total_fen"] == 1000
    assert (receipt["subsidy"]["district_fen"], receipt["subsidy"]["city_fen"],
            receipt["subsidy"]["charity_fen"]) == (500, 400, 100)  # fmt: skip
    assert receipt["subsidy"]["rule"] == "70-79岁"
    assert receipt["paid"] == {"subsidy_purse_fen": 0, "charity_purse_fen": 0, "own_fen": 200}
    assert receipt["own_balance_fen"] == 4800
    meal = Meal.objects.get()
    assert meal.policy.name.startswith("舟山市") and meal.rule.label == "70-79岁"
    assert meal.business_date == dt.date(2026, 3, 12)
    # Stamped by the platform's clock (frozen at 11:30 here), as its journal and answer are.
    assert meal.created_at == LUNCH_NOW == meal.journal.created_at
    assert IdempotencyRecord.objects.get().created_at == LUNCH_NOW
    assert ledger_check() == []
    assert sum(Entry.objects.values_list("amount_fen", flat=True)) == 0


def test_retry_replays_and_charges_once(counter: Any, make_member: Any) -> None:
    _elder, card = make_member()
    first = sell(counter, card, key="abc")
    again = sell(counter, card, key="abc")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Meal.objects.count() == 1
    assert first.json()["own_balance_fen"] == 4800
    before = nothing_written()
    other = sell(counter, card, key="abc", receipt="0002")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    reused = sell(counter, card, key="new", receipt="0001")
    assert reused.json()["error"]["code"] == "receipt_no_reused"
    assert nothing_written() == before


def test_one_subsidised_lunch_per_day_across_the_city(
    counter: Any, make_counter: Any, make_member: Any
) -> None:
    _elder, card = make_member()
    far = make_counter("330921100001")  # 岱山 高亭
    assert sell(counter, card).status_code == 201
    refused = sell(far, card, key="k2", receipt="9")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "subsidy_already_used"
    assert error["details"] == {"full_price_fen": 1200}
    assert "原价 12.00 元" in error["message_zh"]
    full = sell(far, card, key="k3", receipt="10", accept_full_price=True)
    assert full.status_code == 201
    assert full.json()["subsidy"]["total_fen"] == 0
    assert full.json()["paid"]["own_fen"] == 1200
    assert full.json()["subsidy"]["outcome"] == "session_cap"


def test_short_balance_says_how_much_and_writes_nothing(counter: Any, make_member: Any) -> None:
    _elder, card = make_member(own_fen=150)
    before = nothing_written()
    response = sell(counter, card)
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "balance_insufficient" and error["details"] == {"shortfall_fen": 50}
    assert "还差 0.50 元" in error["message_zh"]
    assert nothing_written() == before


def test_the_oldest_and_tekun_eat_free_the_most_generous_rule_wins(
    counter: Any, make_member: Any, superuser: Any
) -> None:
    _old, old_card = make_member(birth=dt.date(1933, 1, 1), own_fen=0)
    assert sell(counter, old_card).json()["paid"]["own_fen"] == 0
    young, young_card = make_member(birth=dt.date(1962, 1, 1), own_fen=0)
    membership_add(
        actor=superuser, elder=young, category=Category.objects.get(code="tekun"),
        valid_from=dt.date(2025, 1, 1),
    )  # fmt: skip
    receipt = sell(counter, young_card, key="k2", receipt="2").json()
    assert receipt["subsidy"]["rule"] == "特困供养" and receipt["paid"]["own_fen"] == 0
    assert receipt["elder"]["categories"] == ["特困供养"]


def test_below_the_minimum_spend_there_is_no_subsidy(counter: Any, make_member: Any) -> None:
    _elder, card = make_member()
    body = {"card": card, "session": "lunch", "lines": [{"amount_fen": 300}], "receipt_no": "x"}
    response = counter.client().post(
        "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="m"
    )
    assert response.json()["subsidy"]["outcome"] == "below_minimum"
    assert response.json()["paid"]["own_fen"] == 300


def test_refusals_have_stable_codes_and_write_nothing(
    counter: Any, make_member: Any, superuser: Any, lunch_time: Any
) -> None:
    elder, card = make_member()
    before = nothing_written()
    assert sell(counter, "NOSUCHCARD99").json()["error"]["code"] == "card_unknown"
    late = LUNCH_NOW.replace(hour=14)
    lunch_time(late)
    assert sell(counter, card).json()["error"]["code"] == "outside_session_window"
    lunch_time(LUNCH_NOW)
    malformed = counter.client().post(
        "/api/v1/checkout", {"card": card}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="z",
    )  # fmt: skip
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_input"
    no_key = counter.client().post(
        "/api/v1/checkout",
        {"card": card, "session": "lunch", "lines": [{"amount_fen": 900}], "receipt_no": "1"},
        content_type="application/json",
    )
    assert no_key.status_code == 400
    anonymous = Client().post("/api/v1/checkout", {}, content_type="application/json")
    assert anonymous.status_code == 401
    card_report_lost(actor=superuser, card=Card.objects.get(elder=elder))
    blocked = sell(counter, card)
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "card_blocked")
    other, other_card = make_member()
    elder_set_status(
        actor=superuser, elder=other, status=ElderStatus.DECEASED, on=dt.date(2026, 3, 1)
    )
    assert sell(counter, other_card).json()["error"]["code"] == "elder_deceased"
    assert nothing_written() == before
    from tongzhou.canteens.models import Terminal

    terminal_revoke(
        actor=superuser, terminal=Terminal.objects.get(canteen=counter.canteen), reason="x"
    )
    revoked = sell(counter, other_card)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (401, "terminal_revoked")


def test_void_releases_the_cap_and_refund_is_for_the_bureau(
    counter: Any, make_member: Any, make_user: Any, lunch_time: Any
) -> None:
    _elder, card = make_member()
    receipt_no = sell(counter, card).json()["receipt_no"]
    voided = counter.client().post(
        f"/api/v1/meals/{receipt_no}/void", {"reason": "点错了"}, content_type="application/json"
    )
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    assert AuditEvent.objects.filter(action="meal.void").count() == 1
    again = sell(counter, card, key="k2", receipt="0002")
    assert again.json()["subsidy"]["total_fen"] == 1000  # the cap was released
    assert again.json()["own_balance_fen"] == 4800  # the void gave the 2 yuan back
    second = again.json()["receipt_no"]

    lunch_time(LUNCH_NOW + dt.timedelta(days=1))
    late_void = counter.client().post(
        f"/api/v1/meals/{second}/void", {"reason": "x"}, content_type="application/json"
    )
    assert late_void.json()["error"]["code"] == "void_only_same_day"
    cashier = Client()
    cashier.force_login(make_user(Role.CASHIER, canteen=counter.canteen))
    assert (
        cashier.post(
            f"/api/v1/meals/{second}/refund", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    outsider = Client()
    outsider.force_login(make_user(Role.DISTRICT_OFFICER, region="330903"))
    assert (
        outsider.post(
            f"/api/v1/meals/{second}/refund", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    officer = Client()
    officer.force_login(make_user(Role.DISTRICT_OFFICER, region="330902"))
    refunded = officer.post(
        f"/api/v1/meals/{second}/refund", {"reason": "饭菜变质"}, content_type="application/json"
    )
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    assert (
        officer.post(
            f"/api/v1/meals/{second}/refund", {"reason": "again"}, content_type="application/json"
        ).json()["error"]["code"]
        == "meal_already_reversed"
    )
    assert ledger_check() == []
    assert sum(Entry.objects.values_list("amount_fen", flat=True)) == 0


def test_counter_top_up_is_idempotent(counter: Any, make_member: Any) -> None:
    elder, card = make_member(own_fen=0)
    body = {"card": card, "amount_fen": 10000}
    first = counter.client().post(
        "/api/v1/topups", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="t1"
    )
    again = counter.client().post(
        "/api/v1/topups", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="t1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["balance_fen"] == 10000
    from tongzhou.ledger.services import purses_for

    assert purses_for(elder.pk)["elder_own"].balance_fen == 10000


def test_home_delivery_adds_the_fee_and_its_subsidy(counter: Any, make_member: Any) -> None:
    """A delivered meal is charged at the door by the delivery side (which checks the
    canteen delivers and the elder may have meals delivered), never by a counter's flag."""
    elder, card = make_member()
    before = nothing_written()
    refused = sell(counter, card, delivery=True)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "delivery_not_at_counter"
    assert nothing_written() == before
    receipt = sell_to_known_elder(
        terminal=service_terminal(counter.canteen, DELIVERY_TERMINAL),
        request=CheckoutRequest(card="", session="lunch", client_receipt_no="B1",
                                lines=[Line(menu_item_id=counter.menu_item.pk)],
                                accept_full_price=True, delivery=True),
        resolved=Resolved(elder, "booking"),
    ).receipt  # fmt: skip
    # Meal 12.00 (elder pays 2.00) + delivery fee 3.00 of which 2.00 is subsidised.
    assert receipt["total_fen"] == 1500
    assert receipt["subsidy"]["delivery_fee_fen"] == 300
    assert receipt["subsidy"]["delivery_subsidy_fen"] == 200
    assert receipt["paid"]["own_fen"] == 300
    assert receipt["lines"][-1] == {"name": "送餐费", "unit_fen": 300, "quantity": 1}
    assert ledger_check() == []


def test_monthly_cap(counter: Any, make_member: Any, lunch_time: Any) -> None:
    from tongzhou.canteens.models import Menu
    from tongzhou.subsidies.models import SubsidyPolicy

    SubsidyPolicy.objects.all().update(monthly_cap_meals=1)
    _elder, card = make_member()
    assert sell(counter, card).json()["subsidy"]["outcome"] == "applied"
    lunch_time(LUNCH_NOW + dt.timedelta(days=1))
    Menu.objects.create(canteen=counter.canteen, date=dt.date(2026, 3, 13), session="lunch")
    body_next = sell(counter, card, key="k2", receipt="2", lines=[{"amount_fen": 1200}]).json()
    assert body_next["subsidy"]["outcome"] == "monthly_cap"
    assert body_next["paid"]["own_fen"] == 1200
    lunch_time(LUNCH_NOW.replace(month=4, day=1))
    april = sell(counter, card, key="k3", receipt="3", lines=[{"amount_fen": 1200}]).json()
    assert april["subsidy"]["outcome"] == "applied"


def test_corrections_are_postings_by_the_city_bureau(
    counter: Any, make_member: Any, make_user: Any
) -> None:
    from tongzhou.ledger.services import purses_for

    elder, _card = make_member(own_fen=1000)
    body = {"elder_id": elder.pk, "amount_fen": -300, "reason": "重复充值冲回"}
    district = Client()
    district.force_login(make_user(Role.DISTRICT_OFFICER, region="330902"))
    assert (
        district.post("/api/v1/corrections", body, content_type="application/json").status_code
        == 403
    )
    city = Client()
    city.force_login(make_user(Role.CITY_BUREAU, region="330900"))
    done = city.post("/api/v1/corrections", body, content_type="application/json")
    assert done.status_code == 201 and done.json()["balance_fen"] == 700
    too_much = city.post(
        "/api/v1/corrections", {**body, "amount_fen": -800}, content_type="application/json"
    )
    assert too_much.json()["error"]["code"] == "balance_insufficient"
    assert purses_for(elder.pk)["elder_own"].balance_fen == 700
    assert Journal.objects.filter(kind="correction").count() == 1
    assert ledger_check() == []
