"""Reads of the elder register, always narrowed to the actor's area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.core import clock, crypto
from tongzhou.core.errors import NotFound
from tongzhou.elders.ages import AGE_BANDS, age_on
from tongzhou.elders.idnumber import parse_id_number
from tongzhou.elders.models import Category, CategoryMembership, Elder, ElderStatus, valid_on_q
from tongzhou.geo.models import Region


def elders_visible_to(actor: Any) -> QuerySet[Elder]:
    """Every elder the actor may read; empty for roles that read no elders."""
    if not has_cap(actor, Cap.ELDER_VIEW):
        return Elder.objects.none()
    return Elder.objects.filter(scope_for(actor).region_q("residence__path"))


def elder_list(
    *, actor: Any, search: str = "", status: str | None = None, residence_code: str | None = None
) -> QuerySet[Elder]:
    require_cap(actor, Cap.ELDER_VIEW, "查看老年人信息", "view elders")
    queryset = elders_visible_to(actor).select_related("residence")
    if status:
        queryset = queryset.filter(status=status)
    if residence_code:
        region = Region.objects.filter(code=residence_code).first()
        queryset = (
            queryset.filter(residence__path__startswith=region.path) if region else queryset.none()
        )
    search = search.strip()
    if search:
        queryset = queryset.filter(_search_q(search))
    return queryset.order_by("id")


def _search_q(search: str) -> Q:
    """A full ID number matches exactly through its keyed hash; anything else by name."""
    if len(search) == 18:
        try:
            number = parse_id_number(search)
        except Exception:
            return Q(name__contains=search)
        return Q(id_number_hash__in=crypto.lookup_hashes(number.value, purpose="id_number"))
    return Q(name__contains=search)


def elder_get(*, actor: Any, elder_id: int) -> Elder:
    require_cap(actor, Cap.ELDER_VIEW, "查看老年人信息", "view elders")
    elder = (
        elders_visible_to(actor)
        .select_related("residence__parent__parent", "hukou_region")
        .filter(pk=elder_id)
        .first()
    )
    if elder is None:
        raise NotFound("老年人", "elder")
    return elder


def memberships_valid_on(*, elder: Elder, day: dt.date) -> list[CategoryMembership]:
    return list(
        elder.memberships.filter(valid_on_q(day))
        .select_related("category")
        .order_by("category__sort_order")
    )


def elder_counts(*, actor: Any, day: dt.date) -> dict[str, Any]:
    """Counts for the home page: active elders by age band and by category on `day`."""
    elders = elders_visible_to(actor).filter(status=ElderStatus.ACTIVE)
    band_aggregates = {band.code: Count("id", filter=band.birth_q(day)) for band in AGE_BANDS}
    totals = elders.aggregate(total=Count("id"), **band_aggregates)
    by_category = (
        CategoryMembership.objects.filter(valid_on_q(day), elder__in=elders)
        .values("category_id")
        .annotate(n=Count("elder_id", distinct=True))
    )
    per_category = {row["category_id"]: row["n"] for row in by_category}
    categories = [
        {"category": category, "count": per_category.get(category.pk, 0)}
        for category in Category.objects.filter(is_active=True)
    ]
    return {
        "total": totals.pop("total"),
        "age_bands": [{"band": band, "count": totals[band.code]} for band in AGE_BANDS],
        "categories": categories,
    }


EXPORT_HEADER = ["编号", "姓名", "性别", "身份证号", "年龄", "镇街道", "村社区", "居住状况", "状态"]


def elder_export_rows(
    *, actor: Any, status: str | None = None, residence_code: str | None = None
) -> list[list[Any]]:
    """Rows for a spreadsheet export: identifiers masked. The export itself is audited."""
    queryset = elder_list(actor=actor, status=status, residence_code=residence_code).select_related(
        "residence__parent"
    )
    day = clock.today()
    rows: list[list[Any]] = [EXPORT_HEADER]
    for elder in queryset.iterator(chunk_size=2000):
        rows.append(
            [
                elder.pk,
                elder.name,
                elder.get_gender_display(),
                elder.id_number_masked,
                age_on(elder.birth_date, day),
                elder.residence.parent.name if elder.residence.parent else "",
                elder.residence.name,
                elder.get_living_arrangement_display(),
                elder.get_status_display(),
            ]
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="elder.export",
            target=actor,
            after={"rows": len(rows) - 1, "status": status, "region": residence_code},
            scope_path=scope_for(actor).region_path or "",
        )
    return rows


def require_elder_in_scope(*, actor: Any, elder: Elder) -> None:
    """Services call this before touching an elder: outside the actor's area is 404, the same
    answer as for an elder that does not exist."""
    if not Elder.objects.filter(scope_for(actor).region_q("residence__path"), pk=elder.pk).exists():
        raise NotFound("老年人", "elder")


# Category names by code, read again whenever a code is missing (the bureau may add more).
_category_names: dict[str, str] = {}


def category_names(codes: list[str]) -> list[str]:
    """The Chinese names of category codes (a receipt's categories), the code if unknown."""
    if any(code not in _category_names for code in codes):
        _category_names.update(Category.objects.values_list("code", "name_zh"))
    return [_category_names.get(code, code) for code in codes]


def clear_caches() -> None:
    """For tests, whose databases come and go."""
    _category_names.clear()
