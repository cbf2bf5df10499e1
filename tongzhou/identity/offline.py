"""What a counter needs to recognise its regular elders while the network is down, and no
more: a stolen tablet should reveal as little as possible.

The pack holds, for the elders who ate at or booked with this canteen lately (and those who
live in its village):
- masked name and age band only;
- each active card and printed code card as a slow salted hash (PBKDF2-SHA256, 2,000
  rounds), never the number itself: the tablet hashes what is presented and looks it up;
- for rotating QR codes, the elder's *day keys* for today and tomorrow (qr.day_key): enough
  to check a code's signature offline, useless after tomorrow, and never the elder's key or
  the server's secret.

Risk window (docs/adr/0004-offline-counters.md): until the pack expires (24 h), a thief with
the tablet can forge rotating codes of the listed elders for the two days covered, and try
card numbers against the slow hashes. A card blocked after the last download still works
offline until the tablet syncs; the server then sends that sale to review.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from typing import Any

from django.utils import timezone

from tongzhou.core import clock
from tongzhou.core.masking import mask_name
from tongzhou.elders.ages import age_band, age_on
from tongzhou.elders.models import Elder
from tongzhou.identity import qr
from tongzhou.identity.models import Card, CardStatus, QrIdentity

ITERATIONS = 2_000
PACK_HOURS = 24
MAX_ELDERS = 5_000


def _salt(secret: bytes | None = None) -> bytes:
    """Public (every pack carries it) but tied to the QR secret, so that a new secret makes
    new verifiers (`rotate_qr_key` rewrites the stored ones)."""
    chosen = qr.server_secret() if secret is None else secret
    return hmac.new(chosen, b"offline-salt", hashlib.sha256).digest()[:16]


def verifier(value: str, *, secret: bytes | None = None) -> str:
    """The slow hash a counter compares offline (the tablet computes the same with WebCrypto),
    salted for the current QR secret or the one given."""
    return hashlib.pbkdf2_hmac("sha256", value.encode(), _salt(secret), ITERATIONS, 16).hex()


def offline_pack(elder_ids: list[int]) -> dict[str, Any]:
    """The pack for a counter whose regular elders are `elder_ids` (at most MAX_ELDERS, chosen
    by the caller: who ate at or booked with the canteen lately, who lives in its village)."""
    now = clock.now()
    today = timezone.localdate(now)
    ids = elder_ids[:MAX_ELDERS]
    elders = Elder.objects.filter(pk__in=ids).only("name", "birth_date").order_by("pk")
    index = {elder.pk: position for position, elder in enumerate(elders)}
    people = [
        {"name": mask_name(e.name), "age_band": age_band(age_on(e.birth_date, today)).code}
        for e in elders
    ]
    verifiers: dict[str, int] = {}
    for elder_id, value in (
        Card.objects.filter(elder_id__in=ids, status=CardStatus.ACTIVE)
        .exclude(offline_verifier="")
        .values_list("elder_id", "offline_verifier")
    ):
        verifiers[value] = index[elder_id]
    day = qr.day_of(qr.step_at(now.timestamp()))
    rotating: dict[str, dict[str, Any]] = {}
    secret = qr.server_secret()
    for identity in QrIdentity.objects.filter(elder_id__in=ids):
        if identity.printed_active and identity.printed_verifier:
            verifiers[identity.printed_verifier] = index[identity.elder_id]
        key = qr.elder_key(secret, identity.token, identity.key_version)
        rotating[identity.token] = {
            "elder": index[identity.elder_id],
            "keys": {str(d): base64.b64encode(qr.day_key(key, d)).decode() for d in (day, day + 1)},
        }
    return {
        "issued_at": now.isoformat(),
        "valid_until": (now + dt.timedelta(hours=PACK_HOURS)).isoformat(),
        "salt": base64.b64encode(_salt()).decode(),
        "iterations": ITERATIONS,
        "elders": people,
        "verifiers": verifiers,
        "rotating": rotating,
    }
