"""Spreadsheets for the people who file them: numbers stored as numbers with their formats
(yuan to two decimals, percentages), dates as dates in Asia/Shanghai, a bold header that
stays in view, a totals row, and a Chinese file name. Rows are written as they are read
(openpyxl's write-only mode) into a temporary file, so a city-wide list does not sit in
memory, and the answer carries its length, so the browser can show the download's progress."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tongzhou.core.spreadsheets import FORMULA_STARTS

Kind = Literal["text", "int", "yuan", "percent", "date", "datetime", "km"]
FORMATS: dict[str, str] = {
    "int": "#,##0",
    "yuan": "#,##0.00",
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "km": "0.0",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"
    width: int = 14
    total: bool = False  # summed in the totals row (int and yuan columns)


def cell_value(kind: Kind, value: Any) -> Any:
    """What the sheet stores: yuan from fen as an exact decimal, an aware time as the local
    wall-clock time (Excel has no time zones), text as text."""
    if value is None or value == "":
        return None
    if kind == "yuan":
        return Decimal(int(value)) / 100
    if kind == "datetime" and isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None)
    if kind in ("int", "percent", "km", "date"):
        return value
    return str(value)


def _cell(sheet: Any, kind: Kind, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=cell_value(kind, value))
    if kind in FORMATS:
        cell.number_format = FORMATS[kind]
    elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # text that looks like a formula stays text
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_download(
    *,
    filename: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    note: str = "",
) -> FileResponse:
    """An .xlsx answer: a title line (and a note, e.g. the filters), the header, the rows
    and, where a column asks for it, a totals row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
    sheet.freeze_panes = "A4" if note else "A3"
    sheet.append([_cell(sheet, "text", title, bold=True)])
    if note:
        sheet.append([_cell(sheet, "text", note)])
    sheet.append([_cell(sheet, "text", column.title, bold=True) for column in columns])
    sums = [0] * len(columns)
    count = 0
    for row in rows:
        count += 1
        for index, column in enumerate(columns):
            if column.total and row[index] is not None:
                sums[index] += row[index]
        sheet.append(
            [_cell(sheet, column.kind, value) for column, value in zip(columns, row, strict=True)]
        )
    if any(column.total for column in columns):
        totals: list[Any] = [f"合计（{count}行）"]
        for index, column in enumerate(columns[1:], start=1):
            totals.append(
                _cell(sheet, column.kind, sums[index], bold=True) if column.total else None
            )
        totals[0] = _cell(sheet, "text", totals[0], bold=True)
        sheet.append(totals)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it when sent
    book.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)
