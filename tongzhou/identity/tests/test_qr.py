import datetime as dt
import io

import pytest
import segno
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tongzhou.identity import qr
from tongzhou.identity.render import qr_png

KEY = qr.elder_key(b"secret", "123456789", 1)


@given(st.integers(min_value=0, max_value=10**8), st.integers(-1, 1))
def test_rotating_codes_verify_within_one_step_of_drift(step: int, drift: int) -> None:
    code = qr.rotating_code(KEY, "123456789", step)
    assert len(code) == qr.LENGTH and code.isdigit()
    assert qr.verify_rotating(qr.parse(code), KEY, step + drift) == step


@given(st.integers(min_value=10, max_value=10**8), st.sampled_from([-3, -2, 2, 3, 60]))
def test_old_and_future_codes_are_expired(step: int, offset: int) -> None:
    code = qr.rotating_code(KEY, "123456789", step)
    with pytest.raises(qr.QrRefused) as refused:
        qr.verify_rotating(qr.parse(code), KEY, step + offset)
    assert refused.value.code == "qr_expired"


@given(st.integers(min_value=0, max_value=10**8), st.integers(2, qr.LENGTH - 1))
def test_any_changed_digit_is_caught(step: int, position: int) -> None:
    code = qr.rotating_code(KEY, "123456789", step)
    altered = code[:position] + str((int(code[position]) + 1) % 10) + code[position + 1 :]
    with pytest.raises(qr.QrRefused) as refused:
        qr.verify_rotating(qr.parse(altered), KEY, step)
    assert refused.value.code in ("qr_invalid", "qr_expired")
    other_key = qr.elder_key(b"secret", "123456789", 2)
    with pytest.raises(qr.QrRefused):
        qr.verify_rotating(qr.parse(code), other_key, step)


def test_printed_cards_revoke_by_version() -> None:
    card_v1 = qr.printed_code(KEY, "123456789", 1)
    qr.verify_printed(qr.parse(card_v1), KEY, 1)
    with pytest.raises(qr.QrRefused) as refused:
        qr.verify_printed(qr.parse(card_v1), KEY, 2)
    assert refused.value.code == "qr_revoked"


def test_the_payload_fits_the_smallest_qr_version_and_a_real_decoder_reads_it() -> None:
    code = qr.rotating_code(KEY, "000000042", 29_000_000)
    assert segno.make(code, micro=False).version == 1
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(code))))
    assert [(result.text, result.format.name) for result in decoded] == [(code, "QRCode")]


def test_step_is_sixty_seconds() -> None:
    moment = dt.datetime(2026, 3, 12, 3, 30, tzinfo=dt.UTC).timestamp()
    assert qr.step_at(moment) == qr.step_at(moment + 59.9) != qr.step_at(moment + 60)
