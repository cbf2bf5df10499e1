"""The service list: the shipped default, a bureau's workbook with bad rows, the round trip
through Excel, and entitlements that follow the elder's facts from their dates."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from tongzhou.access.roles import Role
from tongzhou.care import listio
from tongzhou.care.models import Entitlement, Provenance, ServiceListVersion
from tongzhou.care.selectors import elder_entitlements
from tongzhou.care.services import entitlements_refresh, service_list_load
from tongzhou.care.tests.conftest import VILLAGE
from tongzhou.core.errors import PermissionDenied, ValidationFailed
from tongzhou.elders.models import Category, LivingArrangement
from tongzhou.elders.services import membership_add, membership_end
from tongzhou.geo.models import Region


def _shown(elder: Any, day: dt.date) -> dict[str, Any]:
    """What the worker's page shows: the rows refreshed for the day, then read."""
    entitlements_refresh(elder_ids=[elder.pk], day=day)
    return {e.item.code: e for e in elder_entitlements(elder, day)}


def test_the_default_is_11_groups_and_52_items_and_says_it_is_a_default(care_list: None) -> None:
    version = ServiceListVersion.objects.get()
    assert version.groups.count() == 11 and version.items.count() == 52
    assert version.provenance == Provenance.DEFAULT
    assert "默认" in version.name
    assert all(item.groups.exists() for item in version.items.all())


def _workbook(groups: list[list[Any]], items: list[list[Any]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.title = listio.GROUP_SHEET
    sheet.append(listio.GROUP_COLUMNS)
    for row in groups:
        sheet.append(row)
    items_sheet = book.create_sheet(listio.ITEM_SHEET)
    items_sheet.append(listio.ITEM_COLUMNS)
    for row in items:
        items_sheet.append(row)
    handle = io.BytesIO()
    book.save(handle)
    handle.seek(0)
    return handle


GOOD_GROUP = ["A1", "80岁以上", "80+", 80, None, None, None, None, None, None]
GOOD_ITEM = [
    "X1",
    "助洁",
    "Cleaning",
    "照护服务",
    "助洁",
    4,
    "小时",
    "月",
    None,
    90,
    0,
    10,
    40,
    60,
    "上门",
    None,
    "流动站",
    2,
    "A1",
    "民政",
    None,
]


def test_a_bureau_workbook_loads_its_good_rows_and_reports_every_bad_one(
    care_list: None, make_user: Callable[..., Any], now: Any
) -> None:
    city = make_user(Role.CITY_BUREAU, region="330900")
    bad_item_shares = [*GOOD_ITEM[:9], 50, 0, 10, *GOOD_ITEM[12:]]
    bad_item_shares[0] = "X2"
    bad_item_group = [*GOOD_ITEM]
    bad_item_group[0], bad_item_group[18] = "X3", "ZZ"
    bad_group_word = ["A2", "某类", "x", 60, None, "不存在的类别", None, None, None, None]
    bad_period = [*GOOD_ITEM]
    bad_period[0], bad_period[7] = "X4", "每周"
    handle = _workbook(
        [GOOD_GROUP, bad_group_word],
        [GOOD_ITEM, bad_item_shares, bad_item_group, bad_period],
    )
    groups, items = listio.read_workbook(handle)
    version, report = service_list_load(
        actor=city, name="市清单2026", valid_from=dt.date(2026, 4, 1), groups=groups, items=items
    )
    assert version is not None
    assert [i.code for i in version.items.all()] == ["X1"]
    assert [g.code for g in version.groups.all()] == ["A1"]
    assert {(e.field, e.row, e.code) for e in report.errors} == {
        (listio.GROUP_SHEET, 3, "care_list_word"),
        (listio.ITEM_SHEET, 3, "care_list_shares"),
        (listio.ITEM_SHEET, 4, "care_list_groups"),
        (listio.ITEM_SHEET, 5, "care_list_word"),
    }
    item = version.items.get()
    assert (item.government_bp, item.elder_bp, item.unit_price_fen) == (9000, 1000, 4000)


def test_a_version_starts_later_and_only_the_city_sets_one(
    care_list: None, make_user: Callable[..., Any], now: Any
) -> None:
    groups, items = listio.read_default()
    city = make_user(Role.CITY_BUREAU, region="330900")
    with pytest.raises(ValidationFailed) as refused:
        service_list_load(
            actor=city, name="x", valid_from=dt.date(2026, 3, 10), groups=groups, items=items
        )
    assert refused.value.code == "care_list_must_start_later"
    worker = make_user(Role.VILLAGE_WORKER, region=VILLAGE)
    with pytest.raises(PermissionDenied):
        service_list_load(
            actor=worker, name="x", valid_from=dt.date(2026, 4, 1), groups=groups, items=items
        )


def test_what_is_exported_reads_back_the_same(care_list: None) -> None:
    from tongzhou.care.exports import version_rows

    version = ServiceListVersion.objects.get()
    groups, items = version_rows(version)
    categories = dict(Category.objects.values_list("code", "name_zh"))
    data = listio.write_workbook(groups, items, categories)
    read_groups, read_items = listio.read_workbook(io.BytesIO(data))
    parsed = listio.parse(read_groups, read_items, {v: k for k, v in categories.items()})
    assert parsed.errors == []
    assert parsed.groups == groups
    assert parsed.items == items


def test_entitlements_show_their_reasons_and_follow_a_category_from_its_date(
    care_list: None, make_elder: Callable[..., Any], superuser: Any, now: Any
) -> None:
    from tongzhou.care.tests.conftest import at

    elder = make_elder(
        VILLAGE, birth=dt.date(1944, 6, 1), living_arrangement=LivingArrangement.ALONE
    )
    shown = _shown(elder, dt.date(2026, 3, 10))
    assert "S04" in shown  # 80+ accident insurance
    assert shown["S04"].reasons[0]["group"] == "G02"
    assert shown["S04"].since == dt.date(2024, 6, 1)  # the 80th birthday
    assert "S38" in shown and shown["S38"].reasons[0]["why"].endswith("独居")
    assert "S21" not in shown  # cleaning: not yet 低保

    dibao = Category.objects.get(code="dibao")
    membership = membership_add(
        actor=superuser, elder=elder, category=dibao, valid_from=dt.date(2026, 3, 10)
    )
    shown = _shown(elder, dt.date(2026, 3, 10))
    assert shown["S21"].since == dt.date(2026, 3, 10)
    assert shown["S21"].reasons[0]["why"] == "81周岁，低保"

    now(at(2026, 5, 1))
    membership_end(actor=superuser, membership=membership, valid_to=dt.date(2026, 4, 30))
    shown = _shown(elder, dt.date(2026, 5, 1))
    assert "S21" not in shown
    history = Entitlement.objects.get(elder=elder, item_code="S21")
    assert (history.valid_from, history.valid_to) == (dt.date(2026, 3, 10), dt.date(2026, 4, 30))


def test_moving_to_a_small_island_changes_delivery_from_that_day(
    care_list: None, make_elder: Callable[..., Any], superuser: Any, now: Any
) -> None:
    from tongzhou.elders.services import elder_update

    small = (
        Region.objects.filter(level="village", island__has_town=False)
        .exclude(island__fixed_link=True)
        .exclude(island__name="舟山本岛")
        .first()
    )
    assert small is not None
    elder = make_elder(VILLAGE, birth=dt.date(1950, 1, 1))
    assert "S47" not in set(_shown(elder, dt.date(2026, 3, 10)))
    elder_update(actor=superuser, elder=elder, changes={"residence": small})
    elder.refresh_from_db()
    shown = _shown(elder, dt.date(2026, 3, 11))
    assert shown["S47"].since == dt.date(2026, 3, 11)  # from the day of the move
    assert "小岛" in shown["S47"].reasons[0]["why"]


def test_an_english_page_names_groups_and_items_in_english(
    care_list: None, make_user: Callable[..., Any], signed_in: Callable[[Any], Any]
) -> None:
    city = signed_in(make_user(Role.CITY_BUREAU, region="330900"))
    chinese = city.get("/care/list/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "高龄老人意外伤害保险" in chinese and "Accident insurance (80+)" not in chinese
    city.post("/i18n/setlang/", {"language": "en", "next": "/care/list/"})
    english = city.get("/care/list/").content.decode()
    assert "Accident insurance (80+)" in english and "Aged 80 and over" in english
