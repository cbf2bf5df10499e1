"""Rotating QR codes, like a payment code: a short numeric payload that fits the smallest QR
version, signed per elder, changing every 60 seconds; and printed code cards for elders
without a phone (static, revocable by reissuing).

Layout (23 digits, numeric mode, QR version 1):
    28 | token (9) | step mod 10^4 (4) | MAC (8)      rotating
    29 | token (9) | card version (4)  | MAC (8)      printed card
The MAC is an HMAC-SHA256 over the first 15 digits, truncated as in HOTP (RFC 4226). Printed
cards are signed with the elder's key (derived from the server's QR secret, the token and a key
version); rotating codes with that key's *day key* for the day of their step. A counter that
may have to work offline holds day keys for its regular elders, for today and tomorrow only:
enough to check codes without the network, never the elder's key or the server's secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings

from tongzhou.core.text import ascii_folded, only_ascii_digits

STEP_SECONDS = 60
DRIFT_STEPS = 1  # accept the previous and the next step: clocks on phones drift
ROTATING = "28"
PRINTED = "29"
TOKEN_DIGITS = 9
COUNTER_DIGITS = 4
MAC_DIGITS = 8
LENGTH = 2 + TOKEN_DIGITS + COUNTER_DIGITS + MAC_DIGITS
STEPS_PER_DAY = 86_400 // STEP_SECONDS


class QrRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class QrPayload:
    kind: str  # ROTATING or PRINTED
    token: str
    counter: int  # step mod 10^4, or the printed card's version
    mac: str

    @property
    def body(self) -> str:
        return f"{self.kind}{self.token}{self.counter:0{COUNTER_DIGITS}d}"


def looks_like_qr(raw: str) -> bool:
    value = ascii_folded(raw)
    return len(value) == LENGTH and only_ascii_digits(value) and value[:2] in (ROTATING, PRINTED)


def parse(raw: str) -> QrPayload:
    value = ascii_folded(raw)
    if not looks_like_qr(value):
        raise QrRefused("qr_malformed")
    token_end = 2 + TOKEN_DIGITS
    counter_end = token_end + COUNTER_DIGITS
    return QrPayload(value[:2], value[2:token_end], int(value[token_end:counter_end]),
                     value[counter_end:])  # fmt: skip


def _derived(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"tongzhou-qr", hashlib.sha256).digest()


def server_secret() -> bytes:
    """The server's secret every elder's QR key derives from (settings.QR_SECRET, else one
    derived from the secret key)."""
    if settings.QR_SECRET:
        return str(settings.QR_SECRET).encode()
    return _derived(settings.SECRET_KEY)


def previous_secrets() -> list[bytes]:
    """Secrets still accepted while a new one takes over: the previous QR key, and, when the
    QR secret derives from the secret key, what derives from the secret key's fallbacks."""
    found = [str(settings.QR_SECRET_PREVIOUS).encode()] if settings.QR_SECRET_PREVIOUS else []
    if not settings.QR_SECRET:
        found += [_derived(key) for key in settings.SECRET_KEY_FALLBACKS]
    return [secret for secret in found if secret != server_secret()]


def server_secrets() -> list[bytes]:
    """The current secret first (it signs), then the previous ones (they still verify)."""
    return [server_secret(), *previous_secrets()]


def elder_key(secret: bytes, token: str, version: int) -> bytes:
    return hmac.new(secret, f"qr|{token}|{version}".encode(), hashlib.sha256).digest()


def mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**MAC_DIGITS:0{MAC_DIGITS}d}"


def step_at(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


def day_of(step: int) -> int:
    return step // STEPS_PER_DAY


def day_key(key: bytes, day: int) -> bytes:
    """The key that signs one day's rotating codes (days counted in UTC from the epoch)."""
    return hmac.new(key, f"day|{day}".encode(), hashlib.sha256).digest()


def rotating_code(key: bytes, token: str, step: int) -> str:
    body = f"{ROTATING}{token}{step % 10**COUNTER_DIGITS:0{COUNTER_DIGITS}d}"
    return body + mac(day_key(key, day_of(step)), body)


def printed_code(key: bytes, token: str, card_version: int) -> str:
    body = f"{PRINTED}{token}{card_version % 10**COUNTER_DIGITS:0{COUNTER_DIGITS}d}"
    return body + mac(key, body)


def verify_rotating(payload: QrPayload, key: bytes, now_step: int) -> int:
    """The full time step the code was made for, or a refusal: tampered, or expired."""

    def signed_on(day: int) -> bool:
        return hmac.compare_digest(mac(day_key(key, day), payload.body), payload.mac)

    candidates = [
        step
        for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1)
        if step % 10**COUNTER_DIGITS == payload.counter
    ]
    for step in candidates:
        if signed_on(day_of(step)):
            return step
    today = day_of(now_step)
    if not candidates and any(signed_on(day) for day in (today - 1, today, today + 1)):
        raise QrRefused("qr_expired")
    raise QrRefused("qr_invalid")


def verify_printed(payload: QrPayload, key: bytes, card_version: int) -> None:
    if not hmac.compare_digest(mac(key, payload.body), payload.mac):
        raise QrRefused("qr_invalid")
    if card_version <= 0 or payload.counter != card_version % 10**COUNTER_DIGITS:
        raise QrRefused("qr_revoked")
