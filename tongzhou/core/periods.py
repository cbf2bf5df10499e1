"""DHIS2-style period ids: `202605` a month, `2026Q2` a quarter, `2026S1` a half-year, `2026`
a year (pure)."""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})S([12])$")
_YEAR = re.compile(r"^(\d{4})$")


def period_of(kind: str, day: dt.date) -> str:
    if kind == "month":
        return f"{day:%Y%m}"
    if kind == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{day.year}S{1 if day.month <= 6 else 2}"
    return f"{day.year}"


def bounds(period_id: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period; ValueError for anything else."""
    if match := _MONTH.match(period_id):
        year, month = int(match[1]), int(match[2])
        return dt.date(year, month, 1), _month_end(year, month)
    if match := _QUARTER.match(period_id):
        year, q = int(match[1]), int(match[2])
        return dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
    if match := _HALF.match(period_id):
        year, h = int(match[1]), int(match[2])
        return dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h)
    if match := _YEAR.match(period_id):
        year = int(match[1])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    raise ValueError(f"not a period id: {period_id!r}")


def kind_of(period_id: str) -> str:
    for kind, pattern in (("month", _MONTH), ("quarter", _QUARTER), ("half", _HALF),
                          ("year", _YEAR)):  # fmt: skip
        if pattern.match(period_id):
            return kind
    raise ValueError(f"not a period id: {period_id!r}")


def previous(period_id: str) -> str:
    start, _end = bounds(period_id)
    return period_of(kind_of(period_id), start - dt.timedelta(days=1))


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def elapsed_share(period_id: str, day: dt.date) -> float:
    """序时进度: the share of the period's days gone by on `day` (0 before, 1 after)."""
    start, end = bounds(period_id)
    if day < start:
        return 0.0
    if day >= end:
        return 1.0
    return ((day - start).days + 1) / ((end - start).days + 1)


def label(period_id: str) -> str:
    """The period as the bureau writes it: 2026年5月, 2026年第2季度, 2026年上半年, 2026年."""
    try:
        kind = kind_of(period_id)
    except ValueError:
        return period_id
    year = period_id[:4]
    if kind == "month":
        return f"{year}年{int(period_id[4:])}月"
    if kind == "quarter":
        return f"{year}年第{period_id[-1]}季度"
    if kind == "half":
        return f"{year}年{'上' if period_id.endswith('1') else '下'}半年"
    return f"{year}年"
