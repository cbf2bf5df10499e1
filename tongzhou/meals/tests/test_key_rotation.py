"""Rotating the lookup key and the QR secret while the counters sell: during the rotation a
card, an ID number and a QR code are found under either key, no one can be registered twice,
and after it the new key alone finds everything the rotation rewrote."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tongzhou.core import crypto
from tongzhou.core.errors import ValidationFailed
from tongzhou.elders.models import Elder
from tongzhou.elders.selectors import elder_list
from tongzhou.elders.services import ElderInput, elder_create
from tongzhou.geo.models import Region
from tongzhou.identity import offline
from tongzhou.identity.models import Card, QrIdentity
from tongzhou.identity.services import (
    card_hash,
    qr_current_code,
    qr_identity_for,
    qr_printed_card_issue,
)
from tongzhou.meals.models import Meal
from tongzhou.meals.tests.conftest import LUNCH_NOW
from tongzhou.meals.tests.test_qr_checkout import sell

pytestmark = pytest.mark.django_db

OLD_LOOKUP = "old-lookup-key-" + "a1B2c3D4" * 5
NEW_LOOKUP = "new-lookup-key-" + "z9Y8x7W6" * 5


def _run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def _found_by_id_number(superuser: Any, elder: Elder) -> bool:
    number = crypto.decrypt(elder.id_number_encrypted)
    return list(elder_list(actor=superuser, search=number)) == [elder]


def test_the_lookup_key_rotates_while_cards_sell_and_no_one_registers_twice(
    counter: Any, make_member: Any, superuser: Any, settings: Any, lunch_time: Any
) -> None:
    settings.LOOKUP_HASH_KEY = OLD_LOOKUP
    elder, number = make_member(name="换钥阿公", phone="13800000001")
    legacy, legacy_number = make_member(name="旧卡阿婆")
    # A card issued before the platform kept card numbers: only its hash and verifier.
    Card.objects.filter(elder=legacy).update(number_encrypted="")

    settings.LOOKUP_HASH_KEY, settings.LOOKUP_HASH_KEY_PREVIOUS = NEW_LOOKUP, OLD_LOOKUP
    assert sell(counter, number, "r1").status_code == 201
    assert _found_by_id_number(superuser, elder)
    again = ElderInput(
        name="换钥阿公", id_number=crypto.decrypt(elder.id_number_encrypted),
        residence=Region.objects.get(code="330902002001"),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        elder_create(actor=superuser, data=again)
    assert refused.value.code == "elder_duplicate"

    report = _run("rotate_lookup_key")
    assert "elders (ID numbers, phones): 2 rewritten" in report
    assert "1 cards issued before card numbers were kept encrypted" in report
    assert _run("rotate_lookup_key").count(": 0 rewritten") == 2  # a second run finds nothing
    # The legacy card is still found through the previous key, and its use rewrites it.
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=1))
    assert sell(counter, legacy_number, "r2", accept_full_price=True).status_code == 201
    assert "No card waiting" in _run("rotate_lookup_key")

    settings.LOOKUP_HASH_KEY_PREVIOUS = ""  # the old key removed
    assert _found_by_id_number(superuser, elder)
    assert Card.objects.get(elder=legacy).number_hash == card_hash(legacy_number)
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=2))
    for key, card in (("r3", number), ("r4", legacy_number)):
        assert sell(counter, card, key, accept_full_price=True).status_code == 201, card
    assert Meal.objects.count() == 4
    with pytest.raises(ValidationFailed):
        elder_create(actor=superuser, data=again)


def test_the_qr_secret_rotates_and_printed_cards_work_until_reissued(
    counter: Any, make_member: Any, superuser: Any, settings: Any, lunch_time: Any
) -> None:
    settings.QR_SECRET = "old-qr-secret-" + "q" * 40
    elder, number = make_member(name="扫码阿婆")
    printed = qr_printed_card_issue(actor=superuser, elder=elder)
    shown_before = qr_current_code(qr_identity_for(elder))

    settings.QR_SECRET, settings.QR_SECRET_PREVIOUS = (
        "new-qr-secret-" + "n" * 40,
        settings.QR_SECRET,
    )
    assert qr_current_code(qr_identity_for(elder)) != shown_before  # phones show new codes
    assert sell(counter, shown_before, "s1").status_code == 201  # a code shown a moment ago
    report = _run("rotate_qr_key")
    assert "cards: 1 rewritten" in report and "printed code cards: 1 rewritten" in report
    assert "printed code cards: 0 rewritten" in _run("rotate_qr_key")
    identity = QrIdentity.objects.get(elder=elder)
    assert identity.printed_verifier == offline.verifier(printed)  # offline counters: new salt
    assert Card.objects.get(elder=elder).offline_verifier == offline.verifier(number)
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=1))
    assert sell(counter, printed, "s2", accept_full_price=True).status_code == 201

    settings.QR_SECRET_PREVIOUS = ""  # removed before reissuing: the old printed card stops
    lunch_time(LUNCH_NOW + dt.timedelta(minutes=2))
    refused = sell(counter, printed, "s3", accept_full_price=True)
    assert refused.json()["error"]["code"] == "qr_invalid"
    reissued = qr_printed_card_issue(actor=superuser, elder=elder)
    assert sell(counter, reissued, "s4", accept_full_price=True).status_code == 201


def test_the_secret_key_rotates_and_derived_qr_codes_still_verify(
    counter: Any, make_member: Any, settings: Any
) -> None:
    elder, _number = make_member()
    shown = qr_current_code(qr_identity_for(elder))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "Kx7" * 20
    assert sell(counter, shown, "k1").status_code == 201
