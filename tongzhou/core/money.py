"""Money is integer fen. Rates are integer basis points. Rounding happens here only."""

from __future__ import annotations

from collections.abc import Mapping

BP_WHOLE = 10_000


def split_by_basis_points(amount_fen: int, shares_bp: Mapping[str, int]) -> dict[str, int]:
    """Split `amount_fen` by basis points (summing to 10,000) so the parts add up exactly.

    Largest-remainder rounding: each part gets its floor, the leftover fen go to the parts
    with the largest remainders (ties by key order), so no fen is created or lost.
    """
    if amount_fen < 0:
        raise ValueError("amount must not be negative")
    if sum(shares_bp.values()) != BP_WHOLE or any(v < 0 for v in shares_bp.values()):
        raise ValueError("shares must be non-negative and sum to 10,000 basis points")
    floors = {key: amount_fen * bp // BP_WHOLE for key, bp in shares_bp.items()}
    leftover = amount_fen - sum(floors.values())
    by_remainder = sorted(
        shares_bp, key=lambda key: (-(amount_fen * shares_bp[key] % BP_WHOLE), key)
    )
    for key in by_remainder[:leftover]:
        floors[key] += 1
    return floors


def yuan(fen: int) -> str:
    """12.50 for 1250 fen: for display only."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")


def _group_in_words(group: int) -> str:
    """1..9999 in capital numerals; a run of zeros before a later digit reads as one 零."""
    words, zero = "", False
    for place, digit in zip(_PLACES, f"{group:04d}", strict=True):
        if digit == "0":
            zero = zero or bool(words)
            continue
        if zero:
            words, zero = words + "零", False
        words += _DIGITS[int(digit)] + place
    return words


def _whole_in_words(whole: int) -> str:
    """A positive whole number: 亿 over 万 over groups of four, a 零 where a part is short."""
    for size, name in ((100_000_000, "亿"), (10_000, "万")):
        if whole >= size:
            high, low = divmod(whole, size)
            words = _whole_in_words(high) + name
            if low:
                words += ("零" if low < size // 10 else "") + _whole_in_words(low)
            return words
    return _group_in_words(whole)


def yuan_in_words(fen: int) -> str:
    """The amount in capital numerals as written on financial documents (大写金额):
    123456 fen → 壹仟贰佰叁拾肆元伍角陆分; 1000 → 壹拾元整."""
    if fen < 0:
        return "负" + yuan_in_words(-fen)
    if fen == 0:
        return "零元整"
    whole, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    words = _whole_in_words(whole) + "元" if whole else ""
    if jiao == 0 and cents == 0:
        return words + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    return words + (_DIGITS[cents] + "分" if cents else "整")
