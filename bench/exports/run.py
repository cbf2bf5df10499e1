"""How fast a city-wide list becomes a spreadsheet: `core.downloads.xlsx_download`
(XlsxWriter, constant memory, numbers with formats, a totals row) on N synthetic rows shaped
like a month's meals, beside openpyxl's write-only mode and the csv module writing the same
rows (references) in the same run. Prints
seconds, rows per second, the file's size and the peak memory (each in its own process).

    .venv/bin/python bench/exports/run.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TONGZHOU_DEBUG", "1")

import django

django.setup()

from tongzhou.core.downloads import Column, xlsx_download  # noqa: E402

COLUMNS = [
    Column("日期", "date"), Column("餐次"), Column("食堂"), Column("小票号"), Column("老人"),
    Column("年龄段"), Column("人员类别"), *[Column(f"金额{i}（元）", "yuan", total=True)
                                           for i in range(8)], Column("状态"),
]  # fmt: skip


def rows(n: int) -> Any:
    day = dt.date(2026, 11, 1)
    for i in range(n):
        yield [day + dt.timedelta(days=i % 30), "午餐", "昌国街道幸福食堂", f"R261101-1-{i:08X}",
               "王*英", "80-89岁", "低保、独居", *[1200 + i % 7 * 100] * 8, "已完成"]  # fmt: skip


def measure(label: str, work: Any) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    size = work()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{label:<28} {seconds:7.2f} s  {ARGS.rows / seconds:9,.0f} rows/s  "
          f"{size / 1e6:6.1f} MB  process peak {peak / 1e3:5.0f} MB "
          f"(+{(peak - before) / 1e3:.0f} MB)", flush=True)  # fmt: skip


def with_xlsx() -> int:
    response = xlsx_download(
        filename="x.xlsx", title="bench", columns=COLUMNS, rows=rows(ARGS.rows)
    )
    return int(response["Content-Length"])


def with_openpyxl() -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("bench")
    sheet.append([c.title for c in COLUMNS])
    for row in rows(ARGS.rows):
        sheet.append([*row[:7], *(v / 100 for v in row[7:15]), row[15]])
    with tempfile.TemporaryFile() as handle:
        book.save(handle)
        return handle.tell()


def with_csv() -> int:
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.title for c in COLUMNS])
        writer.writerows(rows(ARGS.rows))
        return handle.tell()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--only", choices=["xlsx", "openpyxl", "csv"])
    ARGS = parser.parse_args()
    if ARGS.only == "xlsx":
        measure("xlsx (write-only, formats)", with_xlsx)
    elif ARGS.only == "openpyxl":
        measure("openpyxl write-only (ref.)", with_openpyxl)
    elif ARGS.only == "csv":
        measure("csv module (reference)", with_csv)
    else:
        print(f"{ARGS.rows:,} rows of {len(COLUMNS)} columns", flush=True)
        for kind in ("xlsx", "openpyxl", "csv"):
            subprocess.run([sys.executable, __file__, "--rows", str(ARGS.rows), "--only", kind],
                           check=True)  # fmt: skip
