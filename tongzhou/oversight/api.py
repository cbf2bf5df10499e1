"""The counter's one tap after a sale: the elder's rating of the meal, signed by the terminal
that sold it (within half an hour)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tongzhou.canteens.auth import signing_terminal, terminal_auth
from tongzhou.core.api import CONFLICTS
from tongzhou.oversight import selectors, services

router = Router(tags=["ratings"])


class RatingIn(Schema):
    stars: int = Field(..., ge=1, le=5, description="1 (poor) to 5 (very good)")


class RatingOut(Schema):
    receipt_no: str
    stars: int


@router.post(
    "/meals/{receipt_no}/rating",
    auth=terminal_auth,
    response={201: RatingOut, **CONFLICTS},
    summary="The elder's rating of a meal just sold here (once per meal)",
)
def rate(request: HttpRequest, receipt_no: str, payload: RatingIn) -> Any:
    rating = services.meal_rate(
        meal_id=selectors.meal_id_for_receipt(receipt_no),
        stars=payload.stars,
        channel="counter",
        terminal=signing_terminal(request),
    )
    return Status(201, {"receipt_no": receipt_no, "stars": rating.stars})
