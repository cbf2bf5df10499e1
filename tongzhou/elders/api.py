from __future__ import annotations

import csv

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate

from tongzhou.core import clock
from tongzhou.core.api import ERRORS, BoundedLimitOffset
from tongzhou.core.spreadsheets import csv_row
from tongzhou.elders import selectors
from tongzhou.elders.ages import age_band, age_on
from tongzhou.elders.models import CategoryMembership, Elder, valid_on_q

router = Router(tags=["elders"])


class ElderOut(Schema):
    """Personal identifiers are masked; the full values are never in a list or detail."""

    id: int
    name: str
    gender: str
    id_number_masked: str
    phone_masked: str
    age: int
    age_band: str
    residence_code: str
    residence_name: str
    living_arrangement: str
    status: str
    categories: list[str]

    @staticmethod
    def resolve_age(obj: Elder) -> int:
        return age_on(obj.birth_date, clock.today())

    @staticmethod
    def resolve_age_band(obj: Elder) -> str:
        return age_band(age_on(obj.birth_date, clock.today())).code

    @staticmethod
    def resolve_residence_code(obj: Elder) -> str:
        return obj.residence.code

    @staticmethod
    def resolve_residence_name(obj: Elder) -> str:
        return obj.residence.name

    @staticmethod
    def resolve_categories(obj: Elder) -> list[str]:
        return [m.category.code for m in getattr(obj, "current_memberships", [])]


def _with_current_categories(queryset):
    current = CategoryMembership.objects.filter(valid_on_q(clock.today())).select_related(
        "category"
    )
    return queryset.prefetch_related(
        Prefetch("memberships", queryset=current, to_attr="current_memberships")
    )


@router.get("", response={200: list[ElderOut], **ERRORS}, summary="List elders in your area")
@paginate(BoundedLimitOffset)
def list_elders(
    request: HttpRequest,
    search: str = "",
    status: str | None = None,
    region: str | None = None,
) -> object:
    """`search` takes a name (partial) or a full ID number (exact); `region` a region code."""
    queryset = selectors.elder_list(
        actor=request.user, search=search, status=status, residence_code=region
    )
    return _with_current_categories(queryset)


@router.get(
    "/export.csv",
    response={200: str, **ERRORS},
    summary="Export elders in your area as CSV (masked identifiers)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "UTF-8 CSV with a byte order mark (opens in Excel)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_elders(
    request: HttpRequest, status: str | None = None, region: str | None = None
) -> HttpResponse:
    rows = selectors.elder_export_rows(actor=request.user, status=status, residence_code=region)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="elders.csv"'
    response.write("\ufeff")  # so Excel opens the Chinese text as UTF-8
    writer = csv.writer(response)
    writer.writerows(csv_row(row) for row in rows)
    return response


@router.get("/{elder_id}", response={200: ElderOut, **ERRORS}, summary="One elder")
def get_elder(request: HttpRequest, elder_id: int) -> Elder:
    elder = selectors.elder_get(actor=request.user, elder_id=elder_id)
    return (
        _with_current_categories(Elder.objects.filter(pk=elder.pk))
        .select_related("residence")
        .get()
    )
