"""The board: completion both ways (and grey, never 0 %, without a target or a value), the
report's own completion rates reproduced from its values and targets, roll-ups that sum rather
than average, computed values for every unit, reported values approved level by level and
locked, and the league of districts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongzhou.access.roles import Role
from tongzhou.board import calc
from tongzhou.board.models import DataValue, Indicator, Target
from tongzhou.board.selectors import board, board_ranks, league, row_for
from tongzhou.board.services import (
    _rolled_up,
    board_recompute,
    catalogue_load,
    value_approve,
    value_report,
    value_return,
)
from tongzhou.core import periods
from tongzhou.core.errors import DomainError
from tongzhou.geo.models import Region


def test_completion_both_ways_and_grey_without_target_or_value() -> None:
    up = {"direction": "higher", "measure": "count"}
    assert calc.completion(actual=169, target=137, **up) == pytest.approx(1.2336, abs=1e-4)
    assert calc.completion(actual=None, target=10, **up) is None
    assert calc.completion(actual=5, target=None, **up) is None
    assert calc.completion(actual=5, target=0, **up) is None
    down = {"direction": "lower", "measure": "percent"}
    assert calc.completion(actual=4, target=2, baseline=10, **down) == pytest.approx(0.75)
    assert calc.completion(actual=0, target=0, **down) == 1.0
    assert calc.completion(actual=3, target=0, **down) == 0.0
    assert calc.completion(actual=1, target=0, measure="milestone", direction="higher") == 1.0
    assert calc.light(None, 0.5, band_points=10).colour == "grey"
    assert calc.light(None, 0.5, band_points=10, overdue=True).colour == "red"
    assert calc.light(0.5, 0.5, band_points=10).colour == "green"
    assert calc.light(0.42, 0.5, band_points=10).colour == "yellow"
    assert calc.light(0.3, 0.5, band_points=10).colour == "red"


@given(actual=st.floats(0, 1e6), target=st.floats(0.01, 1e6), factor=st.floats(0.1, 10))
def test_completion_scales_with_the_value(actual: float, target: float, factor: float) -> None:
    first = calc.completion(actual=actual, target=target, direction="higher", measure="count")
    again = calc.completion(
        actual=actual * factor, target=target, direction="higher", measure="count"
    )
    assert first is not None and again == pytest.approx(first * factor, rel=1e-9, abs=1e-12)


def test_period_ids() -> None:
    assert periods.period_of("half", dt.date(2026, 7, 1)) == "2026S2"
    assert periods.bounds("2026Q2") == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert periods.bounds("202602")[1] == dt.date(2026, 2, 28)
    assert periods.previous("2026S1") == "2025S2" and periods.previous("202601") == "202512"
    assert periods.elapsed_share("2026", dt.date(2026, 12, 31)) == 1.0
    with pytest.raises(ValueError):
        periods.bounds("2026M5")


def test_roll_ups_sum_numerators_and_denominators_never_average() -> None:
    sums = _rolled_up({"1/2/3/a/": (1.0, 1.0), "1/2/3/b/": (9.0, 99.0)})
    num, den = sums["1/2/3/"]
    assert calc.value_of(num, den, "percent") == pytest.approx(10.0)  # not (100 + 9.09) / 2


@pytest.fixture
def catalogue(db: Any) -> None:
    catalogue_load()


@pytest.fixture
def city(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.CITY_BUREAU, region="330900")


def test_the_report_s_own_completion_rates(catalogue: None, city: Any) -> None:
    day = dt.date(2023, 7, 15)
    rows = {
        row.indicator.code: row
        for row in board(city, Region.objects.get(code="330900"), day, "2023S1")
    }
    assert Indicator.objects.count() == 76
    assert rows["RY02"].done_text == "180.00%"  # 慈善组织新增 9 of 5
    assert rows["LY05"].done_text == "115.88%"  # 认知障碍照护专区床位 197
    assert rows["LY06"].done_text == "123.36%"  # 新增持证养老护理员 169
    assert rows["LY04"].done_text == "100.00%"  # 智能服务终端 11 of 11
    assert rows["SW01"].done_text == "96.50%"  # 青山白化 私墓 138 of 143
    assert rows["LY08"].done_text == "70.00%"  # 幸福食堂 7 of 10
    assert rows["LY01"].shown_text == "24.7" and rows["LY01"].light.colour == "grey"  # no target
    assert rows["LY02"].shown_text == "86.47"
    # Half the year gone at the end of June: 70 % of the canteens is green, not red.
    assert rows["LY08"].elapsed == pytest.approx(181 / 365)
    assert rows["LY08"].light.colour == "green"


def test_computed_values_for_every_unit(
    catalogue: None, city: Any, make_canteen: Callable[..., Any]
) -> None:
    make_canteen("330902002001")
    make_canteen("330902002002")
    day = dt.date(2026, 6, 15)
    written = board_recompute(day=day, codes=["LY07", "LY01"])
    assert written == 469 + 5  # canteens at every unit; carers at the city and districts
    values = DataValue.objects.filter(indicator__code="LY07", period_id="202606")
    assert values.get(region__code="330902002").value == 2
    assert values.get(region__code="330900").value == 2
    assert values.get(region__code="330903").value == 0
    assert not DataValue.objects.filter(indicator__code="LY01", region__level="village").exists()


def test_a_town_reports_the_district_and_city_approve_and_it_locks(
    catalogue: None, make_user: Callable[..., Any], city: Any
) -> None:
    town = make_user(Role.TOWN_OFFICER, region="330902002")
    district = make_user(Role.DISTRICT_OFFICER, region="330902")
    changguo, dinghai = Region.objects.get(code="330902002"), Region.objects.get(code="330902")
    reported = value_report(
        actor=town,
        indicator_code="SW01",
        region=changguo,
        period_id="2026",
        numerator=40,
        denominator=50,
        note="私墓整治",
    )
    assert (reported.value, reported.status) == (80.0, "submitted")
    with pytest.raises(DomainError) as refused:
        value_report(
            actor=town, indicator_code="LY07", region=changguo, period_id="202606", numerator=3
        )
    assert refused.value.code == "board_value_computed"
    with pytest.raises(DomainError) as refused:
        value_report(
            actor=town,
            indicator_code="SW01",
            region=dinghai,
            period_id="2026",
            numerator=1,
            denominator=2,
        )
    assert refused.value.code == "not_found"  # the town does not report for its district
    with pytest.raises(DomainError) as refused:
        value_report(
            actor=district,
            indicator_code="SW01",
            region=changguo,
            period_id="2026",
            numerator=1,
            denominator=2,
        )
    assert refused.value.code == "board_value_not_own_unit"  # nor its district for it
    own = value_report(
        actor=district,
        indicator_code="SW01",
        region=dinghai,
        period_id="2026",
        numerator=90,
        denominator=100,
    )
    # The district approves its own only once its towns' are approved.
    with pytest.raises(DomainError) as refused:
        value_approve(actor=district, value_id=own.pk)
    assert refused.value.code == "board_towns_waiting"
    returned = value_return(actor=district, value_id=reported.pk, reason="请附整治清单")
    assert returned.status == "returned"
    again = value_report(
        actor=town,
        indicator_code="SW01",
        region=changguo,
        period_id="2026",
        numerator=41,
        denominator=50,
    )
    assert value_approve(actor=district, value_id=again.pk).status == "district"
    assert value_approve(actor=district, value_id=own.pk).status == "district"
    assert value_approve(actor=city, value_id=own.pk).status == "approved"
    with pytest.raises(DomainError) as refused:
        value_report(
            actor=district,
            indicator_code="SW01",
            region=dinghai,
            period_id="2026",
            numerator=1,
            denominator=100,
        )
    assert refused.value.code == "board_value_locked"
    with pytest.raises(DomainError) as refused:
        value_approve(actor=town, value_id=again.pk)
    assert refused.value.code == "permission_denied"


def test_the_league_ranks_districts_and_says_how_they_moved(catalogue: None, city: Any) -> None:
    indicator = Indicator.objects.get(code="SW01")
    values: dict[str, dict[str, int | None]] = {
        "2026": {"330902": 90, "330903": 95, "330921": 90, "330922": None},
        "2025": {"330902": 99, "330903": 80, "330921": 70, "330922": 60},
    }
    for period_id, by_code in values.items():
        for code, value in by_code.items():
            if value is not None:
                DataValue.objects.create(
                    indicator=indicator,
                    period_id=period_id,
                    value=value,
                    region=Region.objects.get(code=code),
                    origin="reported",
                    status="approved",
                )
    rows = league(city, indicator, "2026", dt.date(2026, 6, 1))
    assert [(r.region.code, r.rank, r.moved) for r in rows] == [
        ("330903", 1, 1),
        ("330902", 2, -1),
        ("330921", 2, 1),
        ("330922", None, None),
    ]
    # The board says each unit's standing beside its neighbours, and the city who leads.
    rows_2026 = board(city, Region.objects.get(code="330902"), dt.date(2026, 6, 1), "2026")
    assert board_ranks(Region.objects.get(code="330902"), rows_2026)[indicator.pk] == "第2名/共3个"
    city_rows = board(city, Region.objects.get(code="330900"), dt.date(2026, 6, 1), "2026")
    assert board_ranks(Region.objects.get(code="330900"), city_rows)[indicator.pk] == (
        "首位普陀区 · 末位定海区、岱山县"
    )
    Target.objects.create(
        indicator=indicator, region=Region.objects.get(code="330902"), period_id="2026", value=100
    )
    row = row_for(indicator, Region.objects.get(code="330902"), "2026", dt.date(2026, 6, 1))
    # A rate is held to its whole target (no 序时进度): 90 of 100 is within the yellow band.
    assert row.done_text == "90.00%" and row.light.colour == "yellow"


def test_the_pages(
    catalogue: None, city: Any, signed_in: Callable[[Any], Any], make_user: Callable[..., Any]
) -> None:
    page = signed_in(city).get("/board/?period=2023S1").content.decode()
    assert "180.00%" in page and "每万老年人口拥有持证养老护理员人数" in page
    detail = signed_in(city).get("/board/LY06/?period=2023S1").content.decode()
    assert "123.36%" in detail
    village = make_user(Role.VILLAGE_WORKER, region="330902002001")
    assert signed_in(village).get("/board/").status_code == 404


def test_the_half_year_summary_downloads_as_word_and_pdf(
    catalogue: None, city: Any, signed_in: Callable[[Any], Any]
) -> None:
    import io

    from docx import Document

    client = signed_in(city)
    page = client.get("/board/summary/?period=2023S1").content.decode()
    assert "2023年上半年工作总结" in page and "完成率123.36%" in page
    answer = client.get("/board/summary/?period=2023S1&format=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(answer.content)).paragraphs)
    assert "新增持证养老护理员169人，目标137人，完成率123.36%" in text
    assert "新增慈善组织9个，目标5个，完成率180.00%" in text
    assert "督办事项办理情况" in text
    pdf = client.get("/board/summary/?period=2023S1&format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_public_page_and_the_excel(
    catalogue: None, city: Any, signed_in: Callable[[Any], Any], make_canteen: Callable[..., Any]
) -> None:
    import io

    from django.test import Client
    from openpyxl import load_workbook

    make_canteen("330902002001", name="昌国幸福食堂")
    board_recompute(codes=["LY07"])
    page = Client().get("/board/public/")
    text = page.content.decode()
    assert page.status_code == 200 and "幸福食堂运营数" in text and "定海区" in text
    assert "昌国街道" not in text and city.username not in text  # no unit below a district
    answer = signed_in(city).get("/board/?format=xlsx&period=2023S1")
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = {row[2]: row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)}
    assert rows["新增持证养老护理员"][4] == 169 and rows["新增持证养老护理员"][6] == 137
    assert rows["新增持证养老护理员"][7] == pytest.approx(1.2336, abs=1e-4)


def test_loading_the_catalogue_again_adds_nothing_and_keeps_edits(catalogue: None) -> None:
    Indicator.objects.filter(code="LY01").update(name="持证护理员（本局口径）")
    assert catalogue_load() == 0
    assert Indicator.objects.get(code="LY01").name == "持证护理员（本局口径）"


def test_periods_are_said_in_words_on_the_pages(
    catalogue: None, city: Any, signed_in: Callable[[Any], Any]
) -> None:
    assert [periods.label(p) for p in ("202605", "2026Q2", "2026S1", "2026")] == [
        "2026年5月",
        "2026年第2季度",
        "2026年上半年",
        "2026年",
    ]
    page = signed_in(city).get("/board/?period=2023S1").content.decode()
    assert "<td>2023年上半年</td>" in page and "<td>2023S1</td>" not in page
