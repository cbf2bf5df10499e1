"""A counter renews its own credential without stopping sales: the replaced credential works
for a grace period, then stops; staff rotation ends both at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tongzhou.audit.models import AuditEvent
from tongzhou.canteens.models import Terminal
from tongzhou.canteens.services import terminal_rotate
from tongzhou.meals.tests.conftest import LUNCH_NOW

pytestmark = pytest.mark.django_db


def _as(credential: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {credential}")


def _sell(credential: str, card: str, key: str) -> Any:
    body = {"card": card, "session": "lunch", "lines": [{"amount_fen": 1200}],
            "receipt_no": key, "accept_full_price": True}  # fmt: skip
    return _as(credential).post(
        "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_counter_renews_its_credential_and_sales_in_flight_still_land(
    counter: Any, make_member: Any, superuser: Any, lunch_time: Any
) -> None:
    _elder, card = make_member()
    old = counter.credential
    assert _as(old).get("/api/v1/terminal/today").json()["credential_renew_due"] is False
    Terminal.objects.filter(canteen=counter.canteen).update(
        rotated_at=LUNCH_NOW - dt.timedelta(days=31)
    )
    assert _as(old).get("/api/v1/terminal/today").json()["credential_renew_due"] is True

    renewed = _as(old).post("/api/v1/terminal/credential")
    assert renewed.status_code == 200, renewed.json()
    new = renewed.json()["credential"]
    assert (
        new != old
        and _as(new).get("/api/v1/terminal/today").json()["credential_renew_due"] is False
    )
    assert _sell(old, card, "g1").status_code == 201  # sent before the counter saw the new one
    assert _sell(new, card, "g2").status_code == 201
    again = _as(old).post("/api/v1/terminal/credential")
    assert (again.status_code, again.json()["error"]["code"]) == (
        401,
        "terminal_credential_replaced",
    )
    assert AuditEvent.objects.filter(action="terminal.renew").count() == 1

    lunch_time(LUNCH_NOW + dt.timedelta(minutes=31))  # the grace period is over
    late = _sell(old, card, "g3")
    assert (late.status_code, late.json()["error"]["code"]) == (401, "terminal_credential_invalid")
    assert _sell(new, card, "g4").status_code == 201

    lunch_time(LUNCH_NOW + dt.timedelta(minutes=32))
    newer = _as(new).post("/api/v1/terminal/credential").json()["credential"]
    # Staff rotating a credential (one that may be stolen) end every earlier one at once.
    rotated = terminal_rotate(
        actor=superuser, terminal=Terminal.objects.get(key_id=new.split("_")[1])
    )
    for credential in (new, newer):
        assert _sell(credential, card, f"g5{credential[-4:]}").status_code == 401
    assert _sell(rotated.credential, card, "g6").status_code == 201
