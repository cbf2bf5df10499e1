"""Identity endpoints: an elder's rotating QR code for staff, and the face candidate a
counter asks for (never a charge: the cashier confirms, then the sale is made)."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import django_auth

from tongzhou.canteens.auth import signing_terminal, terminal_auth
from tongzhou.core.api import CONFLICTS, ERRORS, ErrorOut
from tongzhou.elders.selectors import elder_get
from tongzhou.identity.face_services import face_challenge as challenge
from tongzhou.identity.face_services import face_identify as identify
from tongzhou.identity.face_services import frame_bytes
from tongzhou.identity.liveness import CHALLENGE_SECONDS, MAX_FRAMES
from tongzhou.identity.qr import STEP_SECONDS
from tongzhou.identity.render import qr_svg
from tongzhou.identity.services import qr_current_code, qr_identity_for

router = Router(tags=["identity"])


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
    elder = elder_get(actor=request.user, elder_id=elder_id)
    code = qr_current_code(qr_identity_for(elder))
    return {"code": code, "svg": qr_svg(code), "valid_seconds": STEP_SECONDS}


class ChallengeOut(Schema):
    challenge: str
    turn: Literal["left", "right"]
    expires_in: int


@router.post(
    "/face/challenge",
    auth=terminal_auth,
    response={200: ChallengeOut, **ERRORS, 503: ErrorOut},
    summary="The head turn to ask for before a face is identified (the elder's own side)",
)
def face_challenge(request: HttpRequest) -> dict[str, Any]:
    token, turn = challenge(terminal=signing_terminal(request))
    return {"challenge": token, "turn": turn, "expires_in": CHALLENGE_SECONDS}


class FaceIn(Schema):
    challenge: str = Field("", max_length=400, description="from /face/challenge")
    frames_base64: list[Annotated[str, Field(max_length=4_000_000)]] = Field(
        default_factory=list,
        max_length=MAX_FRAMES,
        description="the first looking at the camera, then the head turning as asked",
    )
    image_base64: str | None = Field(
        None, max_length=4_000_000, description="one frame, where liveness is turned off"
    )


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
    terminal = signing_terminal(request)
    candidate = identify(
        terminal=terminal,
        frames=[frame_bytes(frame) for frame in payload.frames_base64],
        challenge=payload.challenge,
        image=frame_bytes(payload.image_base64) if payload.image_base64 else None,
    )
    return {
        "token": candidate.token,
        "name": candidate.name,
        "age": candidate.age,
        "distance": candidate.distance,
        "photo_base64": base64.b64encode(candidate.photo).decode() if candidate.photo else None,
    }
