from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from tongzhou.canteens import selectors
from tongzhou.canteens.auth import presented_terminal, terminal_auth
from tongzhou.canteens.models import Canteen
from tongzhou.canteens.services import terminal_renew
from tongzhou.core.api import ERRORS, BoundedLimitOffset

router = Router(tags=["canteens"])
terminal_router = Router(tags=["counter terminals"])


class RenewedCredential(Schema):
    credential: str
    previous_valid_until: dt.datetime


@terminal_router.post(
    "/credential",
    auth=terminal_auth,
    response={200: RenewedCredential, **ERRORS},
    summary="A counter renews its own credential (the one it replaces works for 30 minutes)",
)
def terminal_credential_renew(request: HttpRequest) -> dict[str, Any]:
    issued = terminal_renew(presented=presented_terminal(request))
    return {
        "credential": issued.credential,
        "previous_valid_until": issued.terminal.previous_valid_until,
    }


class SessionOut(Schema):
    kind: str
    starts_at: dt.time
    ends_at: dt.time


class CanteenOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    operator: str
    village_code: str
    village_name: str
    island: str
    address: str
    lon: float
    lat: float
    seats: int
    status: str
    opened_on: dt.date | None
    tags: list[str]
    sessions: list[SessionOut]

    @staticmethod
    def resolve_operator(obj: Canteen) -> str:
        return obj.operator.name

    @staticmethod
    def resolve_village_code(obj: Canteen) -> str:
        return obj.village.code

    @staticmethod
    def resolve_village_name(obj: Canteen) -> str:
        return obj.village.name

    @staticmethod
    def resolve_island(obj: Canteen) -> str:
        return obj.island.name

    @staticmethod
    def resolve_tags(obj: Canteen) -> list[str]:
        return [tag.code for tag in obj.tags.all()]

    @staticmethod
    def resolve_sessions(obj: Canteen) -> list[SessionOut]:
        return [SessionOut.model_validate(s, from_attributes=True) for s in obj.sessions.all()]


@router.get("", response={200: list[CanteenOut], **ERRORS}, summary="List canteens in your area")
@paginate(BoundedLimitOffset)
def list_canteens(request: HttpRequest, status: str | None = None) -> object:
    return selectors.canteen_list(actor=request.user, status=status)


@router.get("/{canteen_id}", response={200: CanteenOut, **ERRORS}, summary="One canteen")
def get_canteen(request: HttpRequest, canteen_id: int) -> Canteen:
    return selectors.canteen_get(actor=request.user, canteen_id=canteen_id)
