"""The care services over HTTP: an elder's entitlements with their reasons, and the
orders the caller may see."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap
from tongzhou.care import selectors
from tongzhou.care.models import ServiceOrder
from tongzhou.care.services import entitlements_refresh
from tongzhou.core import clock
from tongzhou.core.api import ERRORS, BoundedLimitOffset
from tongzhou.elders.selectors import elder_get

router = Router(tags=["care"])


class ReasonOut(Schema):
    group: str
    name: str
    since: str
    why: str


class EntitlementOut(Schema):
    item_code: str
    item_name: str
    unit: str
    period: str
    period_id: str
    quantity: int
    left: int
    delivery: str
    since: dt.date
    reasons: list[ReasonOut]


@router.get(
    "/elders/{elder_id}/entitlements",
    response={200: list[EntitlementOut], **ERRORS},
    summary="An elder's entitlements under the list in force, what is left, and why",
)
def entitlements(request: HttpRequest, elder_id: int) -> list[dict[str, object]]:
    require_cap(request.user, Cap.CARE_VIEW, "查看养老服务", "see care services")
    elder = elder_get(actor=request.user, elder_id=elder_id)
    entitlements_refresh(elder_ids=[elder.pk], day=clock.today())
    return [
        {
            "item_code": e.item.code,
            "item_name": e.item.name_zh,
            "unit": e.item.unit,
            "period": e.item.period,
            "period_id": e.period_id,
            "quantity": e.quantity,
            "left": e.left,
            "delivery": e.delivery_label,
            "since": e.since,
            "reasons": e.reasons,
        }
        for e in selectors.elder_entitlements(elder)
    ]


class OrderOut(Schema):
    id: int
    elder_id: int
    item_code: str
    quantity: int
    status: str
    source: str
    provider: str | None
    carer: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    price_fen: int
    government_fen: int
    charity_fen: int
    elder_fen: int
    review_reasons: list[str]

    @staticmethod
    def resolve_item_code(obj: ServiceOrder) -> str:
        return obj.item.code

    @staticmethod
    def resolve_provider(obj: ServiceOrder) -> str | None:
        return obj.provider.name if obj.provider else None

    @staticmethod
    def resolve_carer(obj: ServiceOrder) -> str | None:
        return obj.carer.name if obj.carer else None


@router.get(
    "/orders", response={200: list[OrderOut], **ERRORS}, summary="Service orders you may see"
)
@paginate(BoundedLimitOffset)
def orders(request: HttpRequest, status: str = "") -> object:
    """A worker sees the orders of their area; a carer those given to them or their provider."""
    found = selectors.orders_visible_to(request.user)
    return found.filter(status=status) if status else found
