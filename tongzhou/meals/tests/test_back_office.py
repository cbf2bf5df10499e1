import datetime as dt
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.geo.models import Region
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import LUNCH_NOW
from tongzhou.subsidies.models import SubsidyPolicy, SubsidyRule
from tongzhou.subsidies.services import policy_version_create

pytestmark = pytest.mark.django_db


def test_cashier_sells_voids_and_the_bureau_refunds_in_the_back_office(
    counter: Any, make_member: Any, make_user: Any, lunch_time: Any, signed_in: Any
) -> None:
    _elder, card = make_member()
    cashier = signed_in(make_user(Role.CASHIER, canteen=counter.canteen))
    form = cashier.get("/admin/meals/meal/sell/").content.decode()
    nonce = form.split('name="nonce" value="')[1].split('"')[0]
    sale = {"canteen": counter.canteen.pk, "card": card, "session": "lunch",
            "amount_yuan": "12.00", "nonce": nonce}  # fmt: skip
    first = cashier.post("/admin/meals/meal/sell/", sale).content.decode()
    again = cashier.post("/admin/meals/meal/sell/", sale).content.decode()  # double submit
    assert 'data-testid="receipt"' in first and 'data-testid="receipt"' in again
    meal = Meal.objects.get()
    assert meal.own_fen == 200
    listing = cashier.get("/admin/meals/meal/").content.decode()
    assert meal.receipt_no in listing
    cashier.post(
        "/admin/meals/meal/",
        {"action": "void_meals", "_selected_action": [meal.pk]},
    )
    meal.refresh_from_db()
    assert meal.status == "voided"

    _other, other_card = make_member()
    nonce2 = (
        cashier.get("/admin/meals/meal/sell/")
        .content.decode()
        .split('name="nonce" value="')[1]
        .split('"')[0]
    )
    cashier.post("/admin/meals/meal/sell/", {**sale, "card": other_card, "nonce": nonce2})
    second = Meal.objects.get(status="completed")
    lunch_time(LUNCH_NOW + dt.timedelta(days=3))
    officer = signed_in(make_user(Role.DISTRICT_OFFICER, region="330902"))
    officer.post("/admin/meals/meal/", {"action": "refund_meals", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.status == "refunded"
    outsider = signed_in(make_user(Role.DISTRICT_OFFICER, region="330903"))
    assert second.receipt_no not in outsider.get("/admin/meals/meal/").content.decode()


def test_policy_versions_start_in_the_future_and_meals_keep_theirs(
    counter: Any, make_member: Any, make_user: Any, lunch_time: Any
) -> None:
    _elder, card = make_member()
    city = make_user(Role.CITY_BUREAU, region="330900")
    old = SubsidyPolicy.objects.get()
    from tongzhou.core.errors import ValidationFailed

    def version(start: dt.date) -> SubsidyPolicy:
        dinghai = Region.objects.get(code="330902")
        return policy_version_create(
            actor=city,
            policy=SubsidyPolicy(region=dinghai, name="定海加码", effective_from=start),
            rules=[
                SubsidyRule(
                    label="70-79岁", age_band="70-79", mode="elder_pays", amount_fen=0,
                    district_bp=10_000,
                )
            ],
        )  # fmt: skip

    with pytest.raises(ValidationFailed) as caught:
        version(LUNCH_NOW.date())
    assert caught.value.code == "policy_must_start_later"
    new = version(LUNCH_NOW.date() + dt.timedelta(days=1))
    body = {"card": card, "session": "lunch", "lines": [{"amount_fen": 1200}], "receipt_no": "a"}
    today = counter.client().post("/api/v1/checkout", body, content_type="application/json",
                                  HTTP_IDEMPOTENCY_KEY="a").json()  # fmt: skip
    assert today["paid"]["own_fen"] == 200 and today["subsidy"]["policy_version"] == old.pk
    from tongzhou.core import clock

    lunch_time(LUNCH_NOW + dt.timedelta(days=1))
    from tongzhou.canteens.models import Menu

    Menu.objects.create(canteen=counter.canteen, date=clock.today(), session="lunch")
    tomorrow = counter.client().post(
        "/api/v1/checkout", {**body, "receipt_no": "b"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="b",
    ).json()  # fmt: skip
    assert tomorrow["paid"]["own_fen"] == 0 and tomorrow["subsidy"]["policy_version"] == new.pk
    assert Meal.objects.get(client_receipt_no="a").policy == old  # history keeps its version


def test_preview_page(counter: Any, make_member: Any, make_user: Any, signed_in: Any) -> None:
    make_member(name="预览老人")
    officer = signed_in(make_user(Role.DISTRICT_OFFICER, region="330902"))
    page = officer.get(
        "/admin/subsidies/subsidypolicy/preview/",
        {"elder": "预览老人", "total_yuan": "15", "day": "2026-03-12", "session": "lunch"},
    ).content.decode()
    assert 'data-testid="quote"' in page and "1300" in page and "200" in page
