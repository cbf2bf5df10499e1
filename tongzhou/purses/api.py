"""Purse endpoints: top-ups at a counter or in the back office, balances, corrections."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status
from ninja.security import django_auth

from tongzhou.canteens.auth import request_terminal, terminal_auth
from tongzhou.core.api import CONFLICTS, ERRORS
from tongzhou.core.errors import PermissionDenied
from tongzhou.elders.selectors import elder_get
from tongzhou.identity.services import resolve_credential
from tongzhou.ledger.services import purses_for
from tongzhou.meals.api import body_fingerprint, idempotent_answer
from tongzhou.meals.services import idempotent
from tongzhou.purses import services
from tongzhou.purses.services import MAX_AMOUNT_FEN

router = Router(tags=["purses"])

PurseKind = Literal["elder_own", "elder_subsidy", "elder_charity"]


class TopUpIn(Schema):
    amount_fen: int = Field(..., gt=0, le=MAX_AMOUNT_FEN)
    card: str | None = Field(
        None, max_length=300, description="at a counter: the card number or QR code read"
    )
    elder_id: int | None = Field(None, description="in the back office: the elder")
    purse: PurseKind = "elder_own"
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
    terminal = request_terminal(request)
    if terminal is not None:
        # Card or QR code (a family member can show the elder's code from their phone).
        elder = resolve_credential(payload.card or "", terminal=terminal).elder

        def work() -> dict[str, Any]:
            receipt = services.purse_credit(
                elder=elder, amount_fen=payload.amount_fen, terminal=terminal, note=payload.note
            )
            return receipt.__dict__

        result = idempotent(
            terminal=terminal,
            key=idempotency_key or "",
            fingerprint=body_fingerprint(request),
            work=work,
        )
        return idempotent_answer(request, result)
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
    purse: PurseKind = "elder_own"
    amount_fen: int = Field(..., ge=-MAX_AMOUNT_FEN, le=MAX_AMOUNT_FEN, description="signed")
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
