"""Counter API: terminals authenticate with `Authorization: Bearer tzt_…`; staff with their
session. Every money-moving call from a terminal carries an `Idempotency-Key`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Header, Router, Schema, Status
from ninja.security import HttpBearer, django_auth
from pydantic import BaseModel

from tongzhou.canteens.models import Terminal
from tongzhou.canteens.services import (
    PresentedTerminal,
    terminal_authenticate,
    terminal_presented,
)
from tongzhou.core.api import ERRORS, ErrorOut
from tongzhou.core.errors import PermissionDenied
from tongzhou.elders.selectors import elder_get
from tongzhou.identity.services import resolve_credential
from tongzhou.ledger.services import purses_for
from tongzhou.meals import services

router = Router(tags=["checkout"])


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, as ninja's HttpBearer reads it (None
    when there is none); shared with the checkout lane, which must take the same requests."""
    if not authorization:
        return None
    scheme, *rest = authorization.split(" ")
    return " ".join(rest) if scheme.lower() == "bearer" else None


class TerminalAuth(HttpBearer):
    openapi_description = "A counter terminal's credential: `Bearer tzt_<key id>_<secret>`."

    def __call__(self, request: HttpRequest) -> PresentedTerminal | None:
        # From META, as the checkout lane reads it (`request.headers` maps every header).
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        return None if token is None else self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> PresentedTerminal:
        # Checked for its form here (a 401 DomainError with its code); verified against the
        # database by `_terminal`, or, for a card sale, by the sale's own read.
        presented = terminal_presented(token)
        request.terminal = presented  # type: ignore[attr-defined]
        return presented


terminal_auth = TerminalAuth()


def _terminal(request: HttpRequest) -> Terminal | None:
    """The terminal that signed the request, verified (None for staff signed in)."""
    presented = getattr(request, "terminal", None)
    return terminal_authenticate(presented) if presented is not None else None


def _presented(request: HttpRequest) -> PresentedTerminal:
    presented = getattr(request, "terminal", None)
    assert isinstance(presented, PresentedTerminal)
    return presented


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


CONFLICTS = {**ERRORS, 402: ErrorOut, 409: ErrorOut}


def _fingerprint(request: HttpRequest) -> str:
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
    """The sale behind POST /checkout, whichever way the request came (`checkout` below, or
    the lane in `meals.lane`)."""
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
    return _answer(request, result)


def _answer(request: HttpRequest, result: services.CheckoutResult) -> HttpResponse:
    from config.api import api

    response = api.create_response(request, result.receipt, status=result.status_code)
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
        terminal=_presented(request),
        fingerprint=_fingerprint(request),
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
    terminal = _terminal(request)
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


class TopUpIn(Schema):
    amount_fen: int = Field(..., gt=0, le=1_000_000)
    card: str | None = Field(
        None, max_length=300, description="at a counter: the card number or QR code read"
    )
    elder_id: int | None = Field(None, description="in the back office: the elder")
    purse: Literal["elder_own", "elder_subsidy", "elder_charity"] = "elder_own"
    note: str = Field("", max_length=120)


class TopUpOut(Schema):
    receipt_no: str
    elder_name: str
    purse: str
    amount_fen: int
    balance_fen: int


@router.post(
    "/topups",
    auth=[terminal_auth, django_auth],
    response={201: TopUpOut, **CONFLICTS},
    summary="Put money into an elder's purse",
)
def topup(
    request: HttpRequest,
    payload: TopUpIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Any:
    terminal = _terminal(request)
    if terminal is not None:
        # Card or QR code (a family member can show the elder's code from their phone).
        elder = resolve_credential(payload.card or "", terminal=terminal).elder

        def work() -> dict[str, Any]:
            receipt = services.purse_credit(
                elder=elder, amount_fen=payload.amount_fen, terminal=terminal, note=payload.note
            )
            return receipt.__dict__

        result = services.idempotent(
            terminal=terminal,
            key=idempotency_key or "",
            fingerprint=_fingerprint(request),
            work=work,
        )
        return _answer(request, result)
    if payload.elder_id is None:
        raise PermissionDenied("在后台充值需指定老人", "top up without naming the elder")
    elder = elder_get(actor=request.user, elder_id=payload.elder_id)
    receipt = services.purse_credit(
        elder=elder,
        amount_fen=payload.amount_fen,
        purse=payload.purse,
        actor=request.user,
        note=payload.note,
    )
    return Status(201, receipt.__dict__)


class PursesOut(Schema):
    elder_own: int
    elder_subsidy: int
    elder_charity: int


@router.get(
    "/elders/{elder_id}/purses",
    auth=django_auth,
    response={200: PursesOut, **ERRORS},
    summary="An elder's purse balances (fen)",
)
def purses(request: HttpRequest, elder_id: int) -> dict[str, int]:
    elder = elder_get(actor=request.user, elder_id=elder_id)
    return {kind: account.balance_fen for kind, account in purses_for(elder.pk).items()}


class CorrectionIn(Schema):
    elder_id: int
    purse: Literal["elder_own", "elder_subsidy", "elder_charity"] = "elder_own"
    amount_fen: int = Field(..., ge=-1_000_000, le=1_000_000, description="signed")
    reason: str = Field(..., min_length=1, max_length=200)


@router.post(
    "/corrections",
    auth=django_auth,
    response={201: TopUpOut, **CONFLICTS},
    summary="Correct a purse (city bureau): a compensating posting with a reason",
)
def correct(request: HttpRequest, payload: CorrectionIn) -> Any:
    elder = elder_get(actor=request.user, elder_id=payload.elder_id)
    receipt = services.purse_correct(
        actor=request.user,
        elder=elder,
        purse=payload.purse,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
    )
    return Status(201, receipt.__dict__)


class QrOut(Schema):
    code: str
    svg: str
    valid_seconds: int


@router.get(
    "/elders/{elder_id}/qr",
    auth=django_auth,
    response={200: QrOut, **ERRORS},
    summary="The elder's current rotating QR code (staff, within their area)",
)
def current_qr(request: HttpRequest, elder_id: int) -> dict[str, Any]:
    from tongzhou.identity.qr import STEP_SECONDS
    from tongzhou.identity.render import qr_svg
    from tongzhou.identity.services import qr_current_code, qr_identity_for

    elder = elder_get(actor=request.user, elder_id=elder_id)
    code = qr_current_code(qr_identity_for(elder))
    return {"code": code, "svg": qr_svg(code), "valid_seconds": STEP_SECONDS}


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


@router.get(
    "/terminal/today",
    auth=terminal_auth,
    response={200: TerminalToday, **ERRORS},
    summary="What the counter shows: today's sessions and menus",
)
def terminal_today(request: HttpRequest) -> dict[str, Any]:
    from tongzhou.meals.selectors import counter_today

    terminal = _terminal(request)
    assert terminal is not None
    return counter_today(terminal)


class FaceIn(Schema):
    image_base64: str = Field(..., max_length=4_000_000, description="a JPEG or PNG frame")


class FaceOut(Schema):
    token: str
    name: str
    age: int
    distance: float
    photo_base64: str | None


@router.post(
    "/face/identify",
    auth=terminal_auth,
    response={200: FaceOut, **CONFLICTS, 422: ErrorOut, 503: ErrorOut},
    summary="Who is at the counter? A candidate for the cashier to confirm (never a charge)",
)
def face_identify(request: HttpRequest, payload: FaceIn) -> dict[str, Any]:
    import base64
    import binascii

    from tongzhou.core.errors import ValidationFailed
    from tongzhou.identity.face_services import face_identify as identify

    terminal = _terminal(request)
    assert terminal is not None
    data = payload.image_base64.split(",", 1)[-1]  # accepts data: URLs from a canvas
    try:
        image = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "face_image_unreadable", "照片无法读取。", "The picture cannot be read."
        ) from None
    candidate = identify(terminal=terminal, image=image)
    return {
        "token": candidate.token,
        "name": candidate.name,
        "age": candidate.age,
        "distance": candidate.distance,
        "photo_base64": base64.b64encode(candidate.photo).decode() if candidate.photo else None,
    }


class OfflinePackOut(Schema):
    issued_at: str
    valid_until: str
    salt: str
    iterations: int
    elders: list[dict[str, str]]
    verifiers: dict[str, int]
    rotating: dict[str, dict[str, Any]]


@router.get(
    "/terminal/offline-pack",
    auth=terminal_auth,
    response={200: OfflinePackOut, **ERRORS},
    summary="What the counter needs to recognise its regular elders while offline",
)
def offline_pack(request: HttpRequest) -> dict[str, Any]:
    from django.db import transaction

    from tongzhou.audit.services import audit_record
    from tongzhou.identity.offline import offline_pack as build

    terminal = _terminal(request)
    assert terminal is not None
    pack = build(terminal)
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_label=f"terminal:{terminal.key_id}",
            action="terminal.offline_pack",
            target=terminal,
            after={"elders": len(pack["elders"]), "valid_until": pack["valid_until"]},
            canteen_id=terminal.canteen_id,
            scope_path=terminal.canteen.village.path,
        )
    return pack


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
    from tongzhou.meals.offline import OfflineSaleIn, offline_sync

    terminal = _terminal(request)
    assert terminal is not None
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
