"""The service list as the bureau files it: one workbook per version, the same shape as the
upload, so an exported list edited in Excel loads back as the next version."""

from __future__ import annotations

from typing import Any

from tongzhou.care.models import ServiceListVersion

GROUP_FIELDS = ["code", "name_zh", "name_en", "min_age", "max_age", "categories", "living",
                "min_assessment_level", "island_tiers", "description", "sort_order"]  # fmt: skip
ITEM_FIELDS = ["code", "name_zh", "name_en", "category", "kind", "quantity", "unit", "period",
               "min_age", "government_bp", "charity_bp", "elder_bp", "unit_price_fen",
               "min_minutes", "delivery", "outer_delivery", "small_delivery", "small_quantity",
               "groups", "department", "description", "sort_order"]  # fmt: skip


def version_rows(version: ServiceListVersion) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups = [
        {name: getattr(group, name) for name in GROUP_FIELDS} for group in version.groups.all()
    ]
    items = []
    for item in version.items.prefetch_related("groups"):
        row = {name: getattr(item, name) for name in ITEM_FIELDS if name != "groups"}
        row["groups"] = [group.code for group in item.groups.all()]
        items.append({name: row[name] for name in ITEM_FIELDS})
    return groups, items
