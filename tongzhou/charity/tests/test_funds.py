import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.ledger.services import ledger_check, purses_for

pytestmark = pytest.mark.django_db


def test_earmarked_fund_reaches_only_its_elders_and_is_never_overspent(
    make_user: Any, make_elder: Any, superuser: Any
) -> None:
    city = Client()
    city.force_login(make_user(Role.CITY_BUREAU, region="330900"))
    in_town = make_elder("330902002001")  # 昌国街道
    in_town_tekun = make_elder("330902002002")
    membership_add(
        actor=superuser, elder=in_town_tekun, category=Category.objects.get(code="tekun"),
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    elsewhere_tekun = make_elder("330903001001")
    membership_add(
        actor=superuser, elder=elsewhere_tekun, category=Category.objects.get(code="tekun"),
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    fund = city.post(
        "/api/v1/charity/funds",
        {"name": "渔嫂爱心餐", "donor": "某水产公司", "earmark_region": "330902002",
         "earmark_category": "tekun"},
        content_type="application/json",
    ).json()  # fmt: skip
    fund_id = fund["id"]
    city.post(f"/api/v1/charity/funds/{fund_id}/donations", {"amount_fen": 5000},
              content_type="application/json")  # fmt: skip
    short = city.post(f"/api/v1/charity/funds/{fund_id}/allocations", {"amount_fen": 6000},
                      content_type="application/json")  # fmt: skip
    assert short.status_code == 409 and short.json()["error"]["code"] == "fund_insufficient"
    done = city.post(f"/api/v1/charity/funds/{fund_id}/allocations", {"amount_fen": 3000},
                     content_type="application/json").json()  # fmt: skip
    assert done == {
        "elders": 1,
        "amount_each_fen": 3000,
        "total_fen": 3000,
        "fund_balance_fen": 2000,
    }
    assert purses_for(in_town_tekun.pk)["elder_charity"].balance_fen == 3000
    assert purses_for(in_town.pk)["elder_charity"].balance_fen == 0
    assert purses_for(elsewhere_tekun.pk)["elder_charity"].balance_fen == 0
    assert ledger_check() == []
    cashier_like = Client()
    cashier_like.force_login(make_user(Role.DISTRICT_OFFICER, region="330902"))
    assert cashier_like.post(f"/api/v1/charity/funds/{fund_id}/allocations", {"amount_fen": 1},
                             content_type="application/json").status_code == 403  # fmt: skip
