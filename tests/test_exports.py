"""Exports that cannot attack their reader: text that begins like a formula stays text in
every CSV and Excel file (an elder, canteen or district named `=cmd|' /C calc'!A0`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from tongzhou.access.roles import Role
from tongzhou.core.spreadsheets import csv_cell, xlsx_append
from tongzhou.settlement.exports import chart_xlsx

ATTACK = "=cmd|' /C calc'!A0"
STARTS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1"]


@pytest.mark.parametrize("text", [ATTACK, *STARTS])
def test_formula_like_text_is_text_in_both_formats(text: str) -> None:
    assert csv_cell(text) == "'" + text
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    xlsx_append(sheet, [text, "-3.50", 12])
    out = io.BytesIO()
    book.save(out)
    cells = load_workbook(io.BytesIO(out.getvalue())).active["A1":"C1"][0]
    assert (cells[0].value, cells[0].data_type) == (text, "s")
    assert (cells[1].value, cells[2].value) == ("-3.50", 12)


def test_a_carriage_return_start_is_text_in_csv() -> None:
    assert csv_cell("\r=1") == "'\r=1"


def test_amounts_and_plain_text_are_left_alone() -> None:
    assert [csv_cell(v) for v in ("-3.50", "+12", "王秀英", 7, None)] == [
        "-3.50", "+12", "王秀英", 7, None,
    ]  # fmt: skip


def test_a_district_named_like_a_formula_is_text_in_the_chart_workbook() -> None:
    figures = {"months": ["2026-03"], "districts": {ATTACK: {"2026-03": (3, 1200)}}}
    sheet = load_workbook(io.BytesIO(chart_xlsx(figures))).active
    header = list(sheet[1])
    assert header[1].value == f"{ATTACK}人次" and header[1].data_type == "s"


@pytest.mark.django_db
def test_an_elder_named_like_a_formula_is_text_in_the_csv_export(
    make_elder: Callable[..., Any],
    make_user: Callable[..., Any],
    signed_in: Callable[[Any], Client],
) -> None:
    make_elder("330902002001", name=ATTACK)
    client = signed_in(make_user(Role.DISTRICT_OFFICER, region="330902"))
    text = client.get("/api/v1/elders/export.csv").content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + ATTACK in cells and ATTACK not in cells


def test_the_list_exports_keep_formula_like_text_as_text_and_numbers_as_numbers() -> None:
    from tongzhou.core.downloads import Column, xlsx_download

    answer = xlsx_download(
        filename="名单.xlsx",
        title="名单",
        columns=[Column("姓名"), Column("金额（元）", "yuan", total=True)],
        rows=[[ATTACK, 1250], ["=1+1", 5]],
    )
    sheet = load_workbook(io.BytesIO(answer.getvalue())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=3))
    assert (rows[0][0].value, rows[0][0].data_type) == (ATTACK, "s")
    assert (rows[1][0].value, rows[1][0].data_type) == ("=1+1", "s")
    assert rows[0][1].value == 12.5 and rows[0][1].number_format == "#,##0.00"
    assert rows[2][0].value == "合计（2行）" and rows[2][1].value == 12.55
