"""The network on the real island data: each island's tier and what it lacks; coverage that
rises when a facility offering a core service opens; new stations where they help most; the
year's build plans; and every layer of the map inside the actor's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.geo.models import Region
from tongzhou.network.models import BuildPlan, Facility
from tongzhou.network.selectors import (
    coverage_report,
    island_rows,
    new_site_suggestions,
    plan_progress,
    profile_for,
)

pytestmark = pytest.mark.django_db
XIAN = "330902002001"  # 西安社区, 舟山本岛 (定海区 昌国街道)
PANZHI = "330902003201"  # 盘峙村, 盘峙岛: a small island without a town
LIUHENG = "330903101"  # 六横镇 (town)


@pytest.fixture
def city(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.CITY_BUREAU, region="330900")


def _elders(make_elder: Callable[..., Any], village: str, count: int) -> None:
    for _ in range(count):
        make_elder(village, birth=dt.date(1940, 1, 1))


def test_island_tiers_on_the_real_islands(city: Any, make_elder: Callable[..., Any]) -> None:
    _elders(make_elder, PANZHI, 3)
    rows = {row.island.name: row for row in island_rows(city)}
    assert rows["舟山本岛"].tier == "circle"
    assert (rows["金塘岛"].tier, rows["金塘岛"].reason) == ("circle", "与本岛有桥相连")
    assert (rows["泗礁山"].tier, rows["泗礁山"].reason) == ("circle", "县城所在的中心岛")
    assert rows["六横岛"].tier == "yijia" and rows["六横岛"].missing == "缺幸福驿家"
    assert rows["秀山岛"].tier == "yijia" and "待核实" in rows["秀山岛"].reason
    # 盘峙岛 has no town: 3 elders call for the mobile station, 30 for a compact 驿家.
    assert rows["盘峙岛"].tier == "mobile" and rows["盘峙岛"].elders == 3
    _elders(make_elder, PANZHI, 27)
    panzhi = next(row for row in island_rows(city) if row.island.name == "盘峙岛")
    assert (panzhi.tier, panzhi.missing) == ("compact", "缺浓缩版幸福驿家")
    Facility.objects.create(name="盘峙驿家", kind="yijia_compact", village=Region.objects.get(
        code=PANZHI), status="building", services=["meals"])  # fmt: skip
    panzhi = next(row for row in island_rows(city) if row.island.name == "盘峙岛")
    assert panzhi.missing == "缺浓缩版幸福驿家（建设中）"


def test_coverage_rises_when_a_facility_with_a_core_service_opens(
    city: Any, make_elder: Callable[..., Any]
) -> None:
    _elders(make_elder, XIAN, 4)
    profile = profile_for("planning")
    before = coverage_report(city, profile)
    assert (before.total.elders, before.total.covered) == (4, 0)
    [suggestion] = new_site_suggestions(city, profile, 1)
    assert (suggestion.village.code, suggestion.elders_gained) == (XIAN, 4)
    xian = Region.objects.get(code=XIAN)
    # A centre offering only companionship does not count; one that serves meals does.
    Facility.objects.create(name="西安日间照料", kind="home_care", village=xian,
                            status="operating", opened_on=dt.date(2024, 1, 1),
                            services=["companionship"])  # fmt: skip
    assert coverage_report(city, profile).total.covered == 0
    Facility.objects.create(name="西安居家养老服务中心", kind="home_care", village=xian,
                            status="operating", opened_on=dt.date(2024, 1, 1),
                            services=["meals", "day_care"])  # fmt: skip
    after = coverage_report(city, profile)
    assert after.total.covered == 4
    [district] = [row for row in after.districts if row.region.code == "330902"]
    assert district.tally.share == 1.0
    assert new_site_suggestions(city, profile, 1) == []


def test_the_year_s_plans_count_what_opened_in_the_year(city: Any, now: Any) -> None:
    from tongzhou.bookings.tests.conftest import at

    now(at(2026, 6, 1, 9))
    city_region = Region.objects.get(code="330900")
    BuildPlan.objects.create(year=2026, kind="complex", region=city_region, target=9)
    xian = Region.objects.get(code=XIAN)
    for name, status, opened in (("甲", "operating", dt.date(2026, 3, 1)),
                                 ("乙", "operating", dt.date(2025, 3, 1)),
                                 ("丙", "building", None)):  # fmt: skip
        Facility.objects.create(name=name, kind="complex", village=xian, status=status,
                                opened_on=opened)  # fmt: skip
    [row] = plan_progress(city)
    assert (row.kind_name, row.plan.target, row.done, row.underway) == ("社区服务综合体", 9, 1, 1)


def test_every_layer_of_the_map_is_inside_the_actor_s_scope(
    make_user: Callable[..., Any],
    make_elder: Callable[..., Any],
    signed_in: Callable[[Any], Any],
    make_canteen: Callable[..., Any],
) -> None:
    _elders(make_elder, XIAN, 2)
    _elders(make_elder, "330903001001", 2)  # 沈家门, 普陀区
    Facility.objects.create(name="普陀中心", kind="home_care", village=Region.objects.get(
        code="330903001001"), status="operating", opened_on=dt.date(2024, 1, 1),
        services=["meals"])  # fmt: skip
    make_canteen("330903001001", name="普陀食堂")
    worker = make_user(Role.VILLAGE_WORKER, region=XIAN)
    data = signed_in(worker).get("/network/map.json").json()
    assert [f["properties"]["code"] for f in data["villages"]["features"]] == [XIAN]
    assert data["facilities"]["features"] == [] and data["canteens"]["features"] == []
    assert data["circles"]["features"] == []
    assert {f["properties"]["name"] for f in data["islands"]["features"]} == {"舟山本岛"}
    city = make_user(Role.CITY_BUREAU, region="330900")
    everything = signed_in(city).get("/network/map.json").json()
    assert len(everything["villages"]["features"]) == 428
    assert {f["properties"]["name"] for f in everything["facilities"]["features"]} == {"普陀中心"}
    assert len(everything["circles"]["features"]) == 2  # the centre's and the canteen's
    carer = make_user(Role.CARER, region="330902")
    assert signed_in(carer).get("/network/map.json").status_code == 404
    assert signed_in(carer).get("/network/").status_code == 404


def test_the_overview_names_what_each_island_lacks(
    city: Any, signed_in: Callable[[Any], Any], make_elder: Callable[..., Any]
) -> None:
    import io

    from openpyxl import load_workbook

    _elders(make_elder, XIAN, 2)
    page = signed_in(city).get("/network/").content.decode()
    assert "六横岛" in page and "缺幸福驿家" in page
    answer = signed_in(city).get("/network/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    xian = [row for row in sheet.iter_rows(values_only=True) if row[2] == "西安社区居委会"]
    assert xian == [("定海区", "昌国街道", "西安社区居委会", "舟山本岛", 2, 0, 2, 0)]
