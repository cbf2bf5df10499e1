import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongzhou.core.errors import ValidationFailed
from tongzhou.core.masking import mask_id_number, mask_name, mask_phone
from tongzhou.elders.ages import AGE_BANDS, age_band, age_on, years_before
from tongzhou.elders.idnumber import check_char, make_id_number, parse_id_number

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))


def test_known_valid_number() -> None:
    # The standard's own example number.
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"
    assert parsed.region_code == "110105"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_number_length"),
        ("1101051949123100A2", "id_number_characters"),
        ("110105194902300021", "id_number_birth_date"),
        ("110105194912310021", "id_number_check_digit"),
    ],
)
def test_invalid_numbers_have_stable_codes(raw: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_id_number(raw)
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en


@given(births, st.integers(min_value=0, max_value=999))
def test_made_numbers_parse_back(birth: dt.date, sequence: int) -> None:
    number = make_id_number("330902", birth, sequence)
    parsed = parse_id_number(number.lower())
    assert parsed.birth_date == birth
    assert parsed.gender == ("M" if sequence % 2 else "F")


@given(births, st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=16))
def test_any_single_digit_change_is_caught(birth: dt.date, sequence: int, position: int) -> None:
    number = make_id_number("330902", birth, sequence)
    digit = int(number[position])
    altered = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
    if altered[:17] == number[:17]:
        return
    assert check_char(altered[:17]) != number[17] or altered[6:14] != number[6:14]


@given(births, st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)))
def test_age_band_query_agrees_with_age_on(birth: dt.date, day: dt.date) -> None:
    """The database filter for a band selects exactly the people whose computed age is in it."""
    age = age_on(birth, day)
    for band in AGE_BANDS:
        low_ok = birth <= years_before(day, band.low)
        high_ok = band.high is None or birth > years_before(day, band.high + 1)
        assert (low_ok and high_ok) == band.contains(age)


def test_age_on_birthdays_and_leap_days() -> None:
    assert age_on(dt.date(1950, 5, 1), dt.date(2025, 4, 30)) == 74
    assert age_on(dt.date(1950, 5, 1), dt.date(2025, 5, 1)) == 75
    assert age_on(dt.date(1956, 2, 29), dt.date(2026, 2, 28)) == 69
    assert age_on(dt.date(1956, 2, 29), dt.date(2026, 3, 1)) == 70
    assert age_band(59).code == "under-60"
    assert [age_band(a).code for a in (60, 69, 70, 89, 90, 104)] == [
        "60-69",
        "60-69",
        "70-79",
        "80-89",
        "90+",
        "90+",
    ]


def test_masks() -> None:
    assert mask_id_number("330902195005011234") == "330902********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳明华") == "欧**华"
