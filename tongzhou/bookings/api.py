"""The counter's offline pack: what a terminal needs to recognise the canteen's regular
elders while the network is down. It lives here because who counts as a regular (ate,
booked or lives nearby) is known only from this layer up; what the pack holds is identity's
(`identity.offline`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from tongzhou.bookings.selectors import canteen_regulars
from tongzhou.canteens.auth import signing_terminal, terminal_auth
from tongzhou.core import clock
from tongzhou.core.api import ERRORS
from tongzhou.identity.offline import MAX_ELDERS
from tongzhou.identity.services import offline_pack_issue

router = Router(tags=["offline counters"])


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
def terminal_offline_pack(request: HttpRequest) -> dict[str, Any]:
    terminal = signing_terminal(request)
    regulars = canteen_regulars(terminal.canteen, clock.today(), MAX_ELDERS)
    return offline_pack_issue(terminal=terminal, elder_ids=regulars)
