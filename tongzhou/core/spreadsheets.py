"""Cells a spreadsheet cannot run: text that begins like a formula (=, +, -, @, a tab or a
carriage return) stays text in every CSV and Excel file the platform writes, so a name such
as `=cmd|' /C calc'!A0` is shown, never evaluated, when a bureau opens the export."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")  # "-3.50" is an amount, not a formula


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value)


def csv_cell(value: Any) -> Any:
    """A CSV cell: formula-like text gets a leading apostrophe, which spreadsheets read as
    "this is text" and do not show."""
    return f"'{value}" if _formula_like(value) else value


def csv_row(row: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in row]


def xlsx_append(sheet: Worksheet, row: Iterable[Any]) -> None:
    """Append a row to a worksheet, formula-like text stored as text (verbatim)."""
    sheet.append(list(row))
    for cell in sheet[sheet.max_row]:
        if _formula_like(cell.value):
            cell.data_type = "s"
