"""A canteen at lunch time with a terminal, today's menu, and elders holding cards."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from tongzhou.canteens.models import Canteen
from tongzhou.canteens.services import meal_session_set, terminal_create
from tongzhou.core import clock
from tongzhou.elders.models import Elder
from tongzhou.identity.services import card_issue
from tongzhou.meals.models import Dish, Menu, MenuItem
from tongzhou.meals.services import purse_credit

LUNCH_NOW = dt.datetime(2026, 3, 12, 11, 30, tzinfo=timezone.get_default_timezone())
_cards = itertools.count(1)


class WsgiClient(Client):
    """A test client whose requests go through the production WSGI entry point
    (`config.wsgi.application`, the checkout lane in front of the full stack) instead of
    Django's test handler."""

    def application(self) -> Any:
        from config.wsgi import application

        return application

    def request(self, **request: Any) -> Any:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started[:] = [status, headers]

        # As Django's test handler does: the test's transaction outlives the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            environ = RequestFactory.request(self, **request).environ
            answer = self.application()(environ, start_response)
            content = b"".join(answer)
            answer.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        status, headers = started
        response = HttpResponse(content, status=int(status.split()[0]))
        del response["Content-Type"]
        for name, value in headers:
            response[name] = value
        response.json = lambda: json.loads(content)  # type: ignore[attr-defined]
        return response


@dataclass
class Counter:
    canteen: Canteen
    credential: str
    menu_item: MenuItem  # 12.00 yuan set meal
    client_class: type[Client] = Client

    def client(self) -> Client:
        return self.client_class(HTTP_AUTHORIZATION=f"Bearer {self.credential}")


@pytest.fixture
def counter_client() -> type[Client]:
    """How counters' requests reach the platform (test_checkout runs through both)."""
    return Client


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
    counter_client: type[Client],
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
        return Counter(canteen, issued.credential, item, counter_client)

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
