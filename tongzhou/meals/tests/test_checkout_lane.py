"""The checkout lane (meals/lane.py) answers a terminal's sale as the full stack would, and
leaves every request it does not take to the full stack."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from config import wsgi
from tongzhou.meals.lane import CheckoutLane
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import WsgiClient

pytestmark = pytest.mark.django_db

if not isinstance(wsgi.application, CheckoutLane):
    pytest.skip("the checkout lane is off (TONGZHOU_CHECKOUT_LANE=0)", allow_module_level=True)
application: CheckoutLane = wsgi.application


class FullStackClient(WsgiClient):
    """Through the same WSGI entry point, past the lane: Django's middleware, URLconf, ninja."""

    def application(self) -> Any:
        return application.full


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the lane took each request sent to the entry point, in order."""
    seen: list[bool] = []
    takes = application.takes

    def recording(environ: dict[str, Any]) -> Any:
        result = takes(environ)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(application, "takes", recording)
    return seen


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.items()), response.content


def body(counter: Any, card: str, receipt: str = "0001", **extra: Any) -> dict[str, Any]:
    line = {"menu_item_id": counter.menu_item.pk, "quantity": 1}
    return {"card": card, "session": "lunch", "lines": [line], "receipt_no": receipt, **extra}


def post(client: Any, data: Any, **headers: Any) -> Any:
    return client.post("/api/v1/checkout", data, content_type="application/json", **headers)


def clients(counter: Any, **headers: Any) -> tuple[Any, Any]:
    credential = {"HTTP_AUTHORIZATION": f"Bearer {counter.credential}", **headers}
    return WsgiClient(**credential), FullStackClient(**credential)


def test_the_lane_serves_a_sale_without_the_full_stack(
    counter: Any, make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any) -> Any:
        pytest.fail("the full stack was asked")

    monkeypatch.setattr(application, "full", refuse)
    _elder, card = make_member()
    lane, _full = clients(counter)
    sold = post(lane, body(counter, card), HTTP_IDEMPOTENCY_KEY="k1")
    assert sold.status_code == 201, sold.json()
    assert sold.json()["paid"]["own_fen"] == 200
    refused = post(lane, body(counter, "NOSUCHCARD99", "2"), HTTP_IDEMPOTENCY_KEY="k2")
    assert refused.json()["error"]["code"] == "card_unknown"
    assert Meal.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"card": "x"}, {"HTTP_IDEMPOTENCY_KEY": "k"}),  # fails CheckoutIn: ninja says why
        ("{not json", {"HTTP_IDEMPOTENCY_KEY": "k"}),
        (["a list"], {"HTTP_IDEMPOTENCY_KEY": "k"}),
        (None, {}),  # no Idempotency-Key
        (None, {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz", "HTTP_IDEMPOTENCY_KEY": "k"}),
        (None, {"HTTP_AUTHORIZATION": "", "HTTP_IDEMPOTENCY_KEY": "k"}),
    ],
    ids=["invalid", "not-json", "not-an-object", "no-key", "not-bearer", "no-credential"],
)
def test_what_the_lane_does_not_take_the_full_stack_answers(
    counter: Any,
    make_member: Any,
    monkeypatch: pytest.MonkeyPatch,
    taken: list[bool],
    data: Any,
    headers: Any,
) -> None:
    _elder, card = make_member()
    data = body(counter, card) if data is None else data
    asked: list[str] = []
    full = application.full

    def spy(environ: dict[str, Any], start_response: Any) -> Any:
        asked.append(environ["PATH_INFO"])
        return full(environ, start_response)

    monkeypatch.setattr(application, "full", spy)
    lane, full_stack = clients(counter, HTTP_X_REQUEST_ID="request-0001")
    through_lane = post(lane, data, **headers)
    assert asked == ["/api/v1/checkout"] and taken == [False]
    assert through_lane.status_code in (400, 401)
    assert answer(through_lane) == answer(post(full_stack, data, **headers))
    assert Meal.objects.count() == 0


@pytest.mark.parametrize("language", ["", "en", "zh-CN,zh;q=0.9"])
def test_refusals_are_answered_alike(
    counter: Any,
    make_member: Any,
    language: str,
    caplog: pytest.LogCaptureFixture,
    taken: list[bool],
) -> None:
    _elder, card = make_member(own_fen=150)
    headers = {"HTTP_ACCEPT_LANGUAGE": language, "HTTP_X_REQUEST_ID": "request-0002"}
    lane, full = clients(counter, **headers)
    for data in (body(counter, "NOSUCHCARD99"), body(counter, card)):  # unknown, then short
        with caplog.at_level(logging.WARNING, logger="django.request"):
            through_lane = post(lane, data, HTTP_IDEMPOTENCY_KEY="k")
        assert caplog.records[-1].status_code == through_lane.status_code  # type: ignore[attr-defined]
        assert answer(through_lane) == answer(post(full, data, HTTP_IDEMPOTENCY_KEY="k"))
        caplog.clear()
    assert through_lane.json()["error"]["code"] == "balance_insufficient"
    bad_credential = WsgiClient(HTTP_AUTHORIZATION="Bearer junk", **headers)
    through_lane = post(bad_credential, body(counter, card), HTTP_IDEMPOTENCY_KEY="k")
    assert through_lane.json()["error"]["code"] == "terminal_credential_malformed"
    full = FullStackClient(HTTP_AUTHORIZATION="Bearer junk", **headers)
    assert answer(through_lane) == answer(post(full, body(counter, card), HTTP_IDEMPOTENCY_KEY="k"))
    assert taken == [True, True, True]
    assert Meal.objects.count() == 0


def test_a_sale_and_its_retries_are_answered_alike(
    counter: Any, make_member: Any, taken: list[bool]
) -> None:
    _elder, card = make_member()
    lane, full = clients(counter, HTTP_X_REQUEST_ID="request-0003")
    sold = post(full, body(counter, card), HTTP_IDEMPOTENCY_KEY="k1")
    assert sold.status_code == 201
    again_lane = post(lane, body(counter, card), HTTP_IDEMPOTENCY_KEY="k1")
    again_full = post(full, body(counter, card), HTTP_IDEMPOTENCY_KEY="k1")
    assert answer(again_lane) == answer(again_full)
    # The same receipt; on PostgreSQL the stored answer comes back in jsonb's key order.
    assert again_lane.json() == sold.json()
    replayed = dict(again_lane.items())
    assert replayed.pop("Idempotent-Replayed") == "true"
    headers = dict(sold.items())
    assert replayed.pop("Content-Length") and headers.pop("Content-Length")
    assert replayed == headers
    assert taken == [True]
    assert Meal.objects.count() == 1


def test_a_host_not_allowed_is_refused_alike(
    counter: Any, make_member: Any, taken: list[bool]
) -> None:
    _elder, card = make_member()
    lane, full = clients(counter, HTTP_HOST="counter.example.com", HTTP_X_REQUEST_ID="request-4")
    through_lane = post(lane, body(counter, card), HTTP_IDEMPOTENCY_KEY="k")
    assert through_lane.status_code == 400
    assert answer(through_lane) == answer(post(full, body(counter, card), HTTP_IDEMPOTENCY_KEY="k"))
    assert taken == [True]
    assert Meal.objects.count() == 0


def test_a_number_the_lane_cannot_hold_exactly_goes_to_the_full_stack(
    counter: Any, make_member: Any, taken: list[bool]
) -> None:
    """orjson would read the integer as a float; the json module keeps it, and with it the
    body's fingerprint: the sale and its retry are both the full stack's, and the retry is
    answered with the receipt."""
    _elder, card = make_member()
    lane, _full = clients(counter)
    data = body(counter, card, terminal_serial=123456789012345678901234567890)
    sold = post(lane, data, HTTP_IDEMPOTENCY_KEY="k1")
    assert sold.status_code == 201, sold.json()
    again = post(lane, data, HTTP_IDEMPOTENCY_KEY="k1")
    assert again["Idempotent-Replayed"] == "true" and again.json() == sold.json()
    assert taken == [False, False]
    assert post(lane, body(counter, card, "0002"), HTTP_IDEMPOTENCY_KEY="k2").status_code == 409
    assert taken == [False, False, True]
    assert Meal.objects.count() == 1
