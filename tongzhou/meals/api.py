"""Counter API: terminals authenticate with `Authorization: Bearer tzt_…`; staff with their
session. Every money-moving call from a terminal carries an `Idempotency-Key`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Header, Router, Schema
from ninja.security import django_auth
from pydantic import BaseModel

from tongzhou.canteens.auth import (
    presented_terminal,
    request_terminal,
    signing_terminal,
    terminal_auth,
)
from tongzhou.canteens.selectors import counter_today
from tongzhou.canteens.services import PresentedTerminal
from tongzhou.core import clock
from tongzhou.core.api import CONFLICTS, ERRORS, json_response
from tongzhou.meals import services
from tongzhou.meals.models import Meal
from tongzhou.meals.offline import OfflineSaleIn, offline_sync
from tongzhou.meals.selectors import day_summary

router = Router(tags=["checkout"])


# The sale's body is plain pydantic: ninja's Schema adds a validator that reads attributes
# off ORM objects, of no use for a JSON body and paid on every sale.
class LineIn(BaseModel):
    menu_item_id: int | None = None
    quantity: int = Field(1, ge=1, le=20)
    amount_fen: int | None = Field(None, gt=0, le=services.MAX_LINE_FEN)
    label: str = Field("", max_length=40)


class CheckoutIn(BaseModel):
    card: str = Field(
        ...,
        min_length=1,
        max_length=300,
        description=(
            "what the reader delivered: a card number, a QR payload (23 digits), or the "
            "token of a face match the cashier confirmed (face:…)"
        ),
    )
    session: Literal["breakfast", "lunch", "dinner"]
    lines: list[LineIn] = Field(..., min_length=1, max_length=20)
    receipt_no: str = Field(..., min_length=1, max_length=40, description="the terminal's own")
    device_time: dt.datetime | None = None
    accept_full_price: bool = False
    delivery: bool = Field(False, description="delivered to the elder's home (delivery fee)")


class ReceiptElder(Schema):
    name: str
    age_band: str
    categories: list[str]


class ReceiptSubsidy(Schema):
    total_fen: int
    district_fen: int
    city_fen: int
    charity_fen: int
    canteen_fen: int
    delivery_fee_fen: int
    delivery_subsidy_fen: int
    outcome: str
    rule: str
    policy: str
    policy_version: int


class ReceiptPaid(Schema):
    subsidy_purse_fen: int
    charity_purse_fen: int
    own_fen: int


class ReceiptLine(Schema):
    name: str
    unit_fen: int
    quantity: int


class ReceiptOut(Schema):
    receipt_no: str
    client_receipt_no: str
    canteen: str
    business_date: str
    session: str
    elder: ReceiptElder
    lines: list[ReceiptLine]
    total_fen: int
    subsidy: ReceiptSubsidy
    paid: ReceiptPaid
    own_balance_fen: int
    status: str


def body_fingerprint(request: HttpRequest) -> str:
    """The fingerprint a retry with the same Idempotency-Key must match."""
    try:
        body: Any = json.loads(request.body or b"{}")
    except ValueError:
        body = request.body.decode(errors="replace")
    return services.request_fingerprint(body)


def sell(
    request: HttpRequest,
    payload: CheckoutIn,
    idempotency_key: str,
    *,
    terminal: PresentedTerminal,
    fingerprint: str,
) -> HttpResponse:
    """The sale behind POST /checkout."""
    result = services.checkout(
        terminal=terminal,
        request=services.CheckoutRequest(
            card=payload.card,
            session=payload.session,
            lines=[services.Line(**line.model_dump()) for line in payload.lines],
            client_receipt_no=payload.receipt_no,
            device_time=payload.device_time,
            accept_full_price=payload.accept_full_price,
            delivery=payload.delivery,
        ),
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )
    return idempotent_answer(request, result)


def idempotent_answer(request: HttpRequest, result: services.CheckoutResult) -> HttpResponse:
    """The answer of an idempotent call, marked when it replays a stored one."""
    response = json_response(request, result.receipt, status=result.status_code)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post(
    "/checkout",
    auth=terminal_auth,
    response={201: ReceiptOut, **CONFLICTS},
    summary="Sell a meal at the counter",
)
def checkout(
    request: HttpRequest,
    payload: CheckoutIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> HttpResponse:
    """Identify the elder, price the lines, apply the subsidy in force, take the elder's
    share from their purses and answer with the receipt. A retry with the same
    Idempotency-Key and body returns the same receipt without charging again."""
    return sell(
        request,
        payload,
        idempotency_key,
        terminal=presented_terminal(request),
        fingerprint=body_fingerprint(request),
    )


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


class ReversalOut(Schema):
    receipt_no: str
    status: str
    total_fen: int


@router.post(
    "/meals/{receipt_no}/void",
    auth=[terminal_auth, django_auth],
    response={200: ReversalOut, **CONFLICTS},
    summary="Void today's sale (the canteen that sold it)",
)
def void(request: HttpRequest, receipt_no: str, payload: ReasonIn) -> Any:
    terminal = request_terminal(request)
    return services.meal_void(
        receipt_no=receipt_no,
        reason=payload.reason,
        terminal=terminal,
        actor=None if terminal else request.user,
    )


@router.post(
    "/meals/{receipt_no}/refund",
    auth=django_auth,
    response={200: ReversalOut, **CONFLICTS},
    summary="Refund an earlier sale (the bureau)",
)
def refund(request: HttpRequest, receipt_no: str, payload: ReasonIn) -> Any:
    return services.meal_refund(actor=request.user, receipt_no=receipt_no, reason=payload.reason)


class MenuItemOut(Schema):
    id: int
    name: str
    price_fen: int
    diet: str


class SessionInfo(Schema):
    kind: str
    starts_at: str
    ends_at: str
    open_now: bool
    items: list[MenuItemOut]


class TerminalToday(Schema):
    canteen: str
    terminal: str
    business_date: str
    current_session: str | None
    sessions: list[SessionInfo]
    credential_renew_due: bool


@router.get(
    "/terminal/today",
    auth=terminal_auth,
    response={200: TerminalToday, **ERRORS},
    summary="What the counter shows: today's sessions and menus",
)
def terminal_today(request: HttpRequest) -> dict[str, Any]:
    return counter_today(signing_terminal(request))


class OfflineSaleSchema(Schema):
    client_id: str = Field(..., min_length=8, max_length=64)
    receipt_no: str = Field(..., min_length=1, max_length=40)
    device_time: dt.datetime
    card: str = Field(..., min_length=1, max_length=300)
    session: Literal["breakfast", "lunch", "dinner"]
    lines: list[LineIn] = Field(..., min_length=1, max_length=20)
    accept_full_price: bool = False


class OfflineBatchIn(Schema):
    sales: list[OfflineSaleSchema] = Field(..., max_length=500)


class OfflineResult(Schema):
    client_id: str
    receipt_no: str
    outcome: Literal["posted", "full_price", "repriced", "review"]
    reason_code: str
    reason: str
    meal_receipt_no: str | None
    total_fen: int | None
    own_fen: int | None
    subsidy_fen: int | None


class OfflineBatchOut(Schema):
    results: list[OfflineResult]


@router.post(
    "/terminal/offline-sales",
    auth=terminal_auth,
    response={200: OfflineBatchOut, **ERRORS},
    summary="Upload sales recorded while offline (safe to repeat, in any order)",
)
def offline_sales(request: HttpRequest, payload: OfflineBatchIn) -> dict[str, Any]:
    terminal = signing_terminal(request)
    sales = [
        OfflineSaleIn(
            client_id=sale.client_id,
            receipt_no=sale.receipt_no,
            device_time=sale.device_time
            if timezone.is_aware(sale.device_time)
            else timezone.make_aware(sale.device_time),
            card=sale.card,
            session=sale.session,
            lines=[services.Line(**line.model_dump()) for line in sale.lines],
            accept_full_price=sale.accept_full_price,
        )
        for sale in payload.sales
    ]
    return {"results": offline_sync(terminal=terminal, sales=sales)}


class SummarySession(Schema):
    session: str
    meals: int
    total_fen: int
    own: int = Field(..., description="from the elders' own money")
    subsidy_purse: int = Field(..., description="from the elders' subsidy purses")
    charity_purse: int = Field(..., description="from the elders' charity allowances")
    subsidy: int = Field(..., description="meal subsidy owed by the funds")
    charity: int = Field(..., description="charity co-funding owed by the funds")


class SummaryOut(Schema):
    business_date: dt.date
    sessions: list[SummarySession]
    totals: dict[str, int]
    voided: int
    voided_fen: int


@router.get(
    "/terminal/summary",
    auth=terminal_auth,
    response={200: SummaryOut, **ERRORS},
    summary="This counter's sales today, per meal session and by who paid (end of day)",
)
def terminal_summary(request: HttpRequest) -> dict[str, Any]:
    terminal = signing_terminal(request)
    return day_summary(Meal.objects.filter(terminal_id=terminal.pk), clock.today())
