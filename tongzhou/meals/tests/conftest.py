"""A canteen at lunch time with a terminal, today's menu, and elders holding cards."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tongzhou.canteens.models import Canteen, Dish, Menu, MenuItem
from tongzhou.canteens.services import meal_session_set, terminal_create
from tongzhou.core import clock
from tongzhou.elders.models import Elder
from tongzhou.identity.services import card_issue
from tongzhou.purses.services import purse_credit

LUNCH_NOW = dt.datetime(2026, 3, 12, 11, 30, tzinfo=timezone.get_default_timezone())
_cards = itertools.count(1)


@dataclass
class Counter:
    canteen: Canteen
    credential: str
    menu_item: MenuItem  # 12.00 yuan set meal

    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.credential}")


@pytest.fixture
def lunch_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    def set_now(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    set_now(LUNCH_NOW)
    return set_now


@pytest.fixture
def policy(db: Any) -> None:
    call_command("load_default_policy", stdout=StringIO())


@pytest.fixture
def make_counter(
    make_canteen: Callable[..., Canteen],
    superuser: Any,
    policy: None,
    lunch_time: Any,
) -> Callable[[str], Counter]:
    def make(village_code: str) -> Counter:
        canteen = make_canteen(village_code)
        meal_session_set(
            actor=superuser, canteen=canteen, kind="lunch",
            starts_at=dt.time(10, 30), ends_at=dt.time(12, 30),
        )  # fmt: skip
        issued = terminal_create(actor=superuser, canteen=canteen, name="收银台1")
        dish = Dish.objects.create(canteen=canteen, name="荤素套餐", price_fen=1200)
        menu = Menu.objects.create(canteen=canteen, date=LUNCH_NOW.date(), session="lunch")
        item = MenuItem.objects.create(menu=menu, dish=dish, price_fen=1200)
        return Counter(canteen, issued.credential, item)

    return make


@pytest.fixture
def counter(make_counter: Callable[[str], Counter]) -> Counter:
    return make_counter("330902002001")


@pytest.fixture
def make_member(
    make_elder: Callable[..., Elder], superuser: Any
) -> Callable[..., tuple[Elder, str]]:
    """An elder with a card and some own money; returns (elder, card number)."""

    def make(
        birth: dt.date = dt.date(1951, 6, 1),
        village: str = "330902002001",
        own_fen: int = 5000,
        **fields: Any,
    ) -> tuple[Elder, str]:
        elder = make_elder(village, birth=birth, **fields)
        number = f"ZS{next(_cards):010d}"
        card_issue(actor=superuser, elder=elder, number=number)
        if own_fen:
            purse_credit(elder=elder, amount_fen=own_fen, actor=superuser)
        return elder, number

    return make
