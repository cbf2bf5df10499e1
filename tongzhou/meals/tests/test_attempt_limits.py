"""Limits that hold across processes: counted in the shared database, with one answer for a
QR code nobody holds and one whose signature is wrong, and a lockout after repeated guesses
(the elder's page sign-in: tongzhou/portal/tests/test_sign_in_limits.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tongzhou.identity.services import qr_current_code, qr_identity_for
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.test_qr_checkout import sell
from tongzhou.throttle.models import Throttle

pytestmark = pytest.mark.django_db


def _forged(code: str) -> str:
    """The code with its signature's last digit changed."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_an_unknown_token_and_a_wrong_signature_get_one_answer(
    counter: Any, make_member: Any
) -> None:
    elder, _card = make_member()
    real = qr_current_code(qr_identity_for(elder))
    unknown = real[:2] + ("1" if real[2] != "1" else "2") + real[3:]  # another token
    answers = [sell(counter, code, f"k{i}").json()["error"]
               for i, code in enumerate((_forged(real), unknown))]  # fmt: skip
    assert [a["code"] for a in answers] == ["qr_invalid", "qr_invalid"]
    assert answers[0]["message_zh"] == answers[1]["message_zh"]


def test_guessing_one_elder_s_code_is_locked_out_after_five(counter: Any, make_member: Any) -> None:
    elder, _card = make_member()
    identity = qr_identity_for(elder)
    real = qr_current_code(identity)
    codes = [sell(counter, _forged(real), f"g{i}").json()["error"]["code"] for i in range(6)]
    assert codes == ["qr_invalid"] * 5 + ["qr_attempts_exceeded"]
    # Counted in the database every worker shares, not in one process's memory.
    row = Throttle.objects.get(key=f"qr-token:{identity.token}")
    assert row.failures == 5 and row.locked_until is not None
    refused = sell(counter, real, "real")  # even the right code, while locked out
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "qr_attempts_exceeded")
    assert Meal.objects.count() == 0


def test_a_counter_guessing_many_codes_is_paused(counter: Any, make_member: Any) -> None:
    elders = [make_member()[0] for _ in range(5)]
    codes = [qr_current_code(qr_identity_for(elder)) for elder in elders]
    answers = [
        sell(counter, _forged(codes[i % 5]), f"c{i}").json()["error"]["code"] for i in range(21)
    ]
    assert answers[:20] == ["qr_invalid"] * 20 and answers[20] == "qr_attempts_exceeded"
