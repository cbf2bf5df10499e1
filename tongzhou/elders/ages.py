"""Ages and age bands, always derived from the birth date on a given day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def age_on(birth_date: dt.date, day: dt.date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class AgeBand:
    code: str
    label: Any  # a lazy translation, resolved when shown
    low: int
    high: int | None  # inclusive; None = no upper bound

    def contains(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)

    def birth_q(self, day: dt.date, field: str = "birth_date") -> Q:
        """Birth dates of people whose age on `day` falls in this band."""
        # age >= low  <=>  born on or before day - low years
        q = Q(**{f"{field}__lte": years_before(day, self.low)})
        if self.high is not None:
            # age <= high  <=>  born after day - (high + 1) years
            q &= Q(**{f"{field}__gt": years_before(day, self.high + 1)})
        return q


AGE_BANDS = (
    AgeBand("60-69", _("60-69"), 60, 69),
    AgeBand("70-79", _("70-79"), 70, 79),
    AgeBand("80-89", _("80-89"), 80, 89),
    AgeBand("90+", _("90 and over"), 90, None),
)
UNDER_60 = AgeBand("under-60", _("under 60"), 0, 59)


def age_band(age: int) -> AgeBand:
    for band in AGE_BANDS:
        if band.contains(age):
            return band
    return UNDER_60
