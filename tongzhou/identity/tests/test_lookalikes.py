"""A card number, phone or code typed in another script's digits is the same number."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongzhou.core.errors import ValidationFailed
from tongzhou.core.text import ascii_folded
from tongzhou.elders.services import normalise_phone
from tongzhou.identity import qr
from tongzhou.identity.models import Card
from tongzhou.identity.services import card_issue, normalise_card_number, presented_card_hashes

ZEROS = ("０", "٠", "۰", "०", "০", "๐")  # full-width, Arabic-Indic, Persian, Devanagari, ...


def _spelt(text: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) if c.isascii() and c.isdigit() else c for c in text)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30), st.sampled_from(ZEROS))
def test_every_script_s_digits_fold_to_ascii(digits: str, zero: str) -> None:
    assert ascii_folded(_spelt(digits, zero)) == digits


def test_a_card_issued_in_full_width_digits_is_found_by_its_ascii_number(
    make_elder: Any, superuser: Any
) -> None:
    elder = make_elder("330902002001")
    card_issue(actor=superuser, elder=elder, number=_spelt("33090000007788", "０"))
    card = Card.objects.get(elder=elder)
    assert presented_card_hashes("33090000007788")[0] == card.number_hash
    assert presented_card_hashes(_spelt("33090000007788", "٠"))[0] == card.number_hash
    assert normalise_card_number(" ａｂ１２３４５ ") == "AB12345"


def test_phones_and_qr_codes_fold_too() -> None:
    assert normalise_phone(_spelt("13800000001", "０")) == "13800000001"
    assert normalise_phone("０５８０－２０２２１１１") == "0580-2022111"
    code = qr.ROTATING + "0" * (qr.LENGTH - 2)
    assert qr.looks_like_qr(_spelt(code, "٠"))
    assert not qr.looks_like_qr(
        qr.ROTATING + "\U00010a40" * (qr.LENGTH - 2)
    )  # digits to isdigit(), not to int()
    with pytest.raises(ValidationFailed):
        normalise_phone("13800000001\U00010a40")
