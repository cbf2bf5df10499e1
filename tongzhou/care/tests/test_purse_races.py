"""Real parallel clients drawing on one entitlement purse at the same instant: never more
than granted. On PostgreSQL they truly overlap; on SQLite the write lock queues them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from tongzhou.access.roles import Role
from tongzhou.care.models import EntitlementPurse, ServiceOrder
from tongzhou.care.services import entitlements_refresh, order_create
from tongzhou.care.tests.conftest import VILLAGE
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add
from tongzhou.meals.tests.test_races import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_orders_at_once_on_four_hours_give_four(
    live_zhoushan: None,
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    superuser: Any,
    now: Any,
) -> None:
    call_command("load_default_service_list", stdout=None)
    elder = make_elder(VILLAGE, birth=dt.date(1944, 6, 1))
    membership_add(
        actor=superuser,
        elder=elder,
        category=Category.objects.get(code="dibao"),
        valid_from=dt.date(2025, 1, 1),
    )
    entitlements_refresh(elder_ids=[elder.pk], day=clock.today())
    workers = [make_user(Role.VILLAGE_WORKER, region=VILLAGE) for _ in range(8)]

    def order_as(worker: Any) -> Callable[[], Any]:
        return lambda: order_create(actor=worker, elder=elder, item_code="S21", quantity=1)

    results = run_together([order_as(worker) for worker in workers])
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 4 and {r.code for r in refused} == {"care_entitlement_used_up"}
    purse = EntitlementPurse.objects.get(elder=elder, item_code="S21")
    assert (purse.granted, purse.used) == (4, 4)
    assert ServiceOrder.objects.filter(elder=elder).count() == 4
