"""Identifiers as people type them and readers send them, folded to the ASCII the platform
keys on, so that look-alike spellings of one number are one number."""

from __future__ import annotations

import unicodedata


def ascii_folded(raw: str) -> str:
    """`raw` with NFKC applied (full-width letters and digits, superscripts and circled
    digits become ASCII), every other decimal digit (Arabic-Indic, Devanagari …) replaced by
    its ASCII digit, white space removed and letters in upper case. An ID number, card number,
    phone or code is validated and hashed only after this: "３３０９…", "٣٣٠٩…" and "3309…"
    are then the same person."""
    folded: list[str] = []
    for char in unicodedata.normalize("NFKC", raw):
        if char.isspace():
            continue
        digit = unicodedata.decimal(char, None)
        folded.append(str(digit) if digit is not None else char)
    return "".join(folded).upper()


def only_ascii_digits(value: str) -> bool:
    """Whether `value` is non-empty and made of 0-9 alone (`str.isdigit` also accepts every
    script's digits and superscripts, which `int` then refuses or reads otherwise)."""
    return value.isascii() and value.isdigit()
