"""Traceability: a dish stopped at once and everyone who ate it that day listed with their
village, for a call round kept with the case; a whole canteen stopped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.canteens.models import Canteen, Dish, MenuItem
from tongzhou.meals.tests.test_checkout import sell
from tongzhou.oversight.models import TraceCall
from tongzhou.oversight.services import trace_call, trace_close, trace_open
from tongzhou.oversight.tests.test_lifecycle import refused

pytestmark = pytest.mark.django_db


def test_a_dish_is_stopped_and_who_ate_it_is_listed(
    counter: Any, make_member: Any, make_user: Callable[..., Any], lunch_time: Any
) -> None:
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    putuo = make_user(Role.TOWN_OFFICER, region="330903001")
    canteen = counter.canteen
    greens = Dish.objects.create(canteen=canteen, name="清炒青菜", price_fen=500)
    greens_item = MenuItem.objects.create(menu=counter.menu_item.menu, dish=greens, price_fen=500)
    ate_set, card_a = make_member(name="陈阿婆")
    ate_greens, card_b = make_member(name="林阿公")
    assert sell(counter, card_a, key="a", receipt="a").status_code == 201
    body = {"lines": [{"menu_item_id": greens_item.pk, "quantity": 1}]}
    assert sell(counter, card_b, key="b", receipt="b", **body).status_code == 201
    dish = counter.menu_item.dish
    assert refused(
        lambda: trace_open(actor=putuo, canteen_id=canteen.pk, day=counter.menu_item.menu.date,
                           reason="腹泻", dish_id=dish.pk)
    ) == "not_found"  # fmt: skip
    case = trace_open(
        actor=town, canteen_id=canteen.pk, day=counter.menu_item.menu.date,
        reason="两位老人午饭后腹泻", dish_id=dish.pk,
    )  # fmt: skip
    assert [(e["name"], e["how"]) for e in case.eaters] == [("陈阿婆", "点了这道菜")]
    # Stopped at once: off today's menu, so the counter cannot sell it.
    assert not Dish.objects.get(pk=dish.pk).is_active
    again = sell(counter, card_b, key="c", receipt="c")
    assert again.json()["error"]["code"] == "menu_item_unknown"
    trace_call(actor=town, case_id=case.pk, elder_id=ate_set.pk, outcome="well")
    assert refused(
        lambda: trace_call(actor=town, case_id=case.pk, elder_id=ate_greens.pk, outcome="well")
    ) == "not_found"  # fmt: skip
    assert refused(
        lambda: trace_call(actor=town, case_id=case.pk, elder_id=ate_set.pk, outcome="unwell")
    ) == "call_note_required"  # fmt: skip
    trace_close(actor=town, case_id=case.pk, conclusion="留样检测未见异常")
    assert TraceCall.objects.filter(case=case).count() == 1
    # The whole canteen: everyone who ate there, and the counter stops.
    whole = trace_open(
        actor=town, canteen_id=canteen.pk, day=counter.menu_item.menu.date,
        reason="多人不适", stop_canteen=True,
    )  # fmt: skip
    assert sorted(e["name"] for e in whole.eaters) == ["林阿公", "陈阿婆"]
    assert Canteen.objects.get(pk=canteen.pk).status == "suspended"
    body = {"lines": [{"menu_item_id": greens_item.pk, "quantity": 1}]}
    stopped = sell(counter, card_a, key="d", receipt="d", **body)
    assert stopped.json()["error"]["code"] == "canteen_not_selling"
