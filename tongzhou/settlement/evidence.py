"""An anomaly case's evidence as a reviewer reads it: each figure under its name, times in
Asia/Shanghai, money in yuan, rates as percentages, meals as a small table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongzhou.core.money import yuan

# Every key a detector writes (`anomalies.py`); a test checks each kind's keys are here.
LABELS: dict[str, Any] = {
    "elder": _("elder number"),
    "meals": _("meals"),
    "receipt": _("receipt"),
    "receipt_no": _("receipt"),
    "receipts": _("receipts"),
    "canteen": _("canteen"),
    "island": _("island"),
    "at": _("time"),
    "minutes_between": _("minutes between the two meals"),
    "fastest_crossing_minutes": _("fastest crossing (minutes)"),
    "route": _("fastest route"),
    "meal_date": _("date of the meal"),
    "died_on": _("recorded death"),
    "moved_on": _("recorded move"),
    "terminal": _("terminal number"),
    "median_seconds": _("usual clock difference (seconds)"),
    "samples": _("sales compared"),
    "sales": _("sales"),
    "reversed": _("voided or refunded"),
    "rate": _("share voided or refunded"),
    "city_rate": _("share in the whole city"),
    "total_fen": _("sale total (yuan)"),
    "subsidy_fen": _("subsidy (yuan)"),
    "median_fen": _("the canteen's usual sale (yuan)"),
}
_RATES = {"rate", "city_rate"}


@dataclass
class EvidenceTable:
    label: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Evidence:
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[EvidenceTable] = field(default_factory=list)


def _local_time(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        return text
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if key in _RATES and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if key == "at" and isinstance(value, str):
        return _local_time(value)
    return str(value)


def label(key: str) -> str:
    return str(LABELS.get(key, key))


def readable(evidence: dict[str, Any]) -> Evidence:
    out = Evidence()
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(value[0])
            out.tables.append(
                EvidenceTable(
                    label(key),
                    [label(c) for c in columns],
                    [[_value(c, row.get(c)) for c in columns] for row in value],
                )
            )
        elif isinstance(value, list):
            joiner = " → " if key == "route" else "、"
            out.facts.append((label(key), joiner.join(str(v) for v in value)))
        else:
            out.facts.append((label(key), _value(key, value)))
    return out
