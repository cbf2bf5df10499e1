from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tongzhou.charity import services
from tongzhou.charity.models import CharityFund
from tongzhou.core.api import CONFLICTS, ERRORS, ErrorOut
from tongzhou.core.errors import NotFound
from tongzhou.elders.models import Category
from tongzhou.geo.models import Region

router = Router(tags=["charity"])


class FundIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    donor: str = Field(..., min_length=1, max_length=80)
    earmark_region: str | None = Field(None, description="region code (village, town, district)")
    earmark_category: str | None = Field(None, description="category code, e.g. tekun")


class FundOut(Schema):
    id: int
    name: str
    donor: str
    earmark_region: str | None
    earmark_category: str | None
    balance_fen: int


def _out(fund: CharityFund) -> dict[str, Any]:
    return {
        "id": fund.pk,
        "name": fund.name,
        "donor": fund.donor,
        "earmark_region": fund.earmark_region.code if fund.earmark_region else None,
        "earmark_category": fund.earmark_category.code if fund.earmark_category else None,
        "balance_fen": services.fund_balance(fund),
    }


def _fund(fund_id: int) -> CharityFund:
    fund = (
        CharityFund.objects.select_related("earmark_region", "earmark_category")
        .filter(pk=fund_id)
        .first()
    )
    if fund is None:
        raise NotFound("慈善资金", "charity fund")
    return fund


@router.post("/funds", response={201: FundOut, **CONFLICTS}, summary="Set up a charity fund")
def create_fund(request: HttpRequest, payload: FundIn) -> Any:
    region = (
        Region.objects.filter(code=payload.earmark_region).first()
        if payload.earmark_region
        else None
    )
    category = (
        Category.objects.filter(code=payload.earmark_category).first()
        if payload.earmark_category
        else None
    )
    if (payload.earmark_region and region is None) or (
        payload.earmark_category and category is None
    ):
        raise NotFound("定向区域或类别", "earmark region or category")
    fund = services.fund_create(
        actor=request.user,
        name=payload.name,
        donor=payload.donor,
        earmark_region=region,
        earmark_category=category,
    )
    return Status(201, _out(fund))


class AmountIn(Schema):
    amount_fen: int = Field(..., gt=0, le=100_000_000)
    note: str = Field("", max_length=120)


@router.post(
    "/funds/{fund_id}/donations", response={200: FundOut, **ERRORS}, summary="Record a donation"
)
def donate(request: HttpRequest, fund_id: int, payload: AmountIn) -> Any:
    fund = _fund(fund_id)
    services.donation_receive(
        actor=request.user, fund=fund, amount_fen=payload.amount_fen, note=payload.note
    )
    return _out(fund)


class AllocationOut(Schema):
    elders: int
    amount_each_fen: int
    total_fen: int
    fund_balance_fen: int


@router.post(
    "/funds/{fund_id}/allocations",
    response={200: AllocationOut, **ERRORS, 409: ErrorOut},
    summary="Give each eligible elder an allowance from the fund",
)
def allocate(request: HttpRequest, fund_id: int, payload: AmountIn) -> Any:
    allocation = services.fund_allocate(
        actor=request.user, fund=_fund(fund_id), amount_each_fen=payload.amount_fen
    )
    return allocation.__dict__
