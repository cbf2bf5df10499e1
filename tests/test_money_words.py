"""大写金额: the capital-numeral amount on statements, checked against an independent reader."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongzhou.core.money import yuan_in_words

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = {"拾": 10, "佰": 100, "仟": 1000}


def read_whole(words: str) -> int:
    """How an accountant reads the yuan part back (a reader written apart from the writer)."""
    yi = wan = section = digit = 0
    for char in words:
        if char in DIGITS:
            digit = DIGITS.index(char)
        elif char in PLACES:
            section, digit = section + digit * PLACES[char], 0
        elif char == "万":
            wan, section, digit = section + digit, 0, 0
        elif char == "亿":
            yi, wan, section, digit = wan * 10_000 + section + digit, 0, 0, 0
    return yi * 100_000_000 + wan * 10_000 + section + digit


def read(words: str) -> int:
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    whole, _, fraction = words.rpartition("元")
    fen = read_whole(whole) * 100
    if "角" in fraction:
        fen += DIGITS.index(fraction[fraction.index("角") - 1]) * 10
    if "分" in fraction:
        fen += DIGITS.index(fraction[fraction.index("分") - 1])
    return sign * fen


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_the_words_read_back_to_the_same_fen(fen: int) -> None:
    words = yuan_in_words(fen)
    assert read(words) == fen
    assert ("零零" not in words and not words.removeprefix("负").startswith("零")) or fen == 0
    # To the yuan or the jiao the amount ends in 整; with fen it ends in 分, never 整.
    assert words.endswith("分") == (fen % 10 != 0)
    assert words.endswith("整") == (fen % 10 == 0)


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (6, "陆分"),
        (56, "伍角陆分"),
        (1000, "壹拾元整"),
        (1050, "壹拾元伍角整"),
        (100_400, "壹仟零肆元整"),
        (100_006, "壹仟元零陆分"),
        (10_000_000, "壹拾万元整"),
        (100_000_100_00, "壹亿零壹佰元整"),
        (123_456_789_01, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"),
        (-250, "负贰元伍角整"),
    ],
)
def test_the_usual_examples(fen: int, words: str) -> None:
    assert yuan_in_words(fen) == words
