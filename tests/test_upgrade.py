"""Upgrades keep the data: a database at the previous release's migrations, with a canteen,
its dishes and menu, a policy and a journal in it, is migrated to this release; the rows are
all there, where this release keeps them (the menus moved to the canteens app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tongzhou.canteens.models import Dish, Menu, MenuItem
from tongzhou.ledger.models import Journal
from tongzhou.subsidies.models import SubsidyPolicy

pytestmark = pytest.mark.django_db(transaction=True)

# Every app's last migration in the release before this one (commit 52d30b0).
PREVIOUS_RELEASE = [
    ("accounts", "0001_initial"), ("audit", "0002_append_only_triggers"),
    ("bookings", "0001_initial"), ("canteens", "0004_canteen_settlement_cycle"),
    ("charity", "0001_initial"), ("elders", "0002_seed_categories"), ("geo", "0001_initial"),
    ("identity", "0005_lean_sale_indexes"), ("ledger", "0005_partial_reversal_indexes"),
    ("meals", "0006_partial_reversal_indexes"), ("portal", "0001_initial"),
    ("settlement", "0001_initial"),
    ("subsidies", "0003_subsidypolicy_operating_fen_per_elder_day"), ("throttle", None),
]  # fmt: skip


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    applied = [(app, name) for app, name in targets if name is not None]
    return MigrationExecutor(connection).loader.project_state(applied).apps


def test_the_previous_release_s_data_upgrades(live_zhoushan: None) -> None:
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(PREVIOUS_RELEASE)
        region = old.get_model("geo", "Region").objects.get(code="330902002001")
        operator = old.get_model("canteens", "Operator").objects.create(name="老版本运营方")
        canteen = old.get_model("canteens", "Canteen").objects.create(
            code="OLD-1", name="老版本食堂", kind="happiness_canteen", operator=operator,
            village=region, island_id=region.island_id, address="老地址", lon=122.1, lat=30.0,
            seats=30, status="open", opened_on=dt.date(2023, 1, 1),
        )  # fmt: skip
        dish = old.get_model("meals", "Dish").objects.create(canteen=canteen, name="老菜",
                                                             price_fen=1100)  # fmt: skip
        menu = old.get_model("meals", "Menu").objects.create(
            canteen=canteen, date=dt.date(2026, 3, 12), session="lunch"
        )
        old.get_model("meals", "MenuItem").objects.create(menu=menu, dish=dish, price_fen=1100)
        old.get_model("subsidies", "SubsidyPolicy").objects.create(
            region=old.get_model("geo", "Region").objects.get(code="330900"),
            name="老政策", effective_from=dt.date(2024, 1, 1),
        )  # fmt: skip
        old.get_model("ledger", "Journal").objects.create(
            kind="topup", business_date=dt.date(2026, 3, 1), memo="老账"
        )
    finally:
        _migrate(latest)

    item = MenuItem.objects.select_related("dish", "menu__canteen").get()
    assert (item.dish.name, item.price_fen, item.menu.canteen.name) == ("老菜", 1100, "老版本食堂")
    assert Dish.objects.count() == 1 and Menu.objects.count() == 1
    assert item.menu.canteen.open_amount_max_fen == 0  # menu dishes only, until a cap is set
    policy = SubsidyPolicy.objects.get(name="老政策")
    assert (policy.max_lines, policy.max_lunch_fen) == (6, 5000)
    assert Journal.objects.get(memo="老账").created_at is not None
