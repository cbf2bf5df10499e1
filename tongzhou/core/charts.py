"""Charts as data: a view builds a `Chart`, the page renders it with ECharts (served
locally, `core/static/tongzhou/charts.js`) from a JSON block, with a table beside it for
screen readers and printing."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from django.utils import formats


def month_label(first_day: dt.date) -> str:
    """2026年11月 in Chinese, November 2026 in English: the locale's year-month format."""
    return str(formats.date_format(first_day, "YEAR_MONTH_FORMAT"))


@dataclass
class Series:
    name: str
    data: list[float | int | None]
    # A second series of a chart can read against its own axis (meals beside yuan).
    axis: int = 0


@dataclass
class Chart:
    kind: Literal["bar", "line"]
    categories: list[str]
    series: list[Series]
    # One unit per axis, shown on the axis and in the tooltip: "份", "元", "%".
    units: list[str] = field(default_factory=lambda: [""])
    stacked: bool = False
    decimals: list[int] = field(default_factory=lambda: [0])

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
