"""Resident identity numbers (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit
sequence (odd for men), ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tongzhou.core.errors import ValidationFailed
from tongzhou.core.text import ascii_folded, only_ascii_digits

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    gender: str  # "M" or "F"

    @property
    def region_code(self) -> str:
        return self.value[:6]


def check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def _invalid(code: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(code, zh, en)


def parse_id_number(raw: str) -> IdNumber:
    value = ascii_folded(raw)
    if len(value) != 18:
        raise _invalid(
            "id_number_length",
            f"身份证号应为18位，当前为{len(value)}位。",
            f"An ID number has 18 characters; this one has {len(value)}.",
        )
    if not only_ascii_digits(value[:17]) or not (only_ascii_digits(value[17]) or value[17] == "X"):
        raise _invalid(
            "id_number_characters",
            "身份证号前17位应为数字，最后一位为数字或X。",
            "The first 17 characters must be digits and the last a digit or X.",
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise _invalid(
            "id_number_birth_date",
            "身份证号中的出生日期不存在。",
            "The birth date inside the ID number is not a real date.",
        ) from None
    if birth.year < 1890:
        raise _invalid(
            "id_number_birth_date",
            "身份证号中的出生日期不合理。",
            "The birth date inside the ID number is implausible.",
        )
    if check_char(value[:17]) != value[17]:
        raise _invalid(
            "id_number_check_digit",
            "身份证号校验位不正确，请核对是否抄错。",
            "The ID number's check digit is wrong; please check for a typo.",
        )
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def make_id_number(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid number (for demo data and tests): `sequence` 0-999, odd for men."""
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
