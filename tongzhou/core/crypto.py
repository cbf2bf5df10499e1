"""Personal data at rest: Fernet encryption for values, keyed HMAC for exact lookup.

Fernet (AES-128-CBC + HMAC-SHA256) comes from `cryptography`; several keys may be configured so
old rows stay readable while a new key encrypts (MultiFernet rotation).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("TONGZHOU_FIELD_KEYS is not set")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def _keyed(key: str, value: str, purpose: str) -> str:
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def lookup_hash(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash under the current key, as stored; `purpose` keeps hashes of
    different fields unrelated."""
    return _keyed(settings.LOOKUP_HASH_KEY, value, purpose)


def lookup_hashes(value: str, *, purpose: str) -> tuple[str, str]:
    """The hashes a stored value may be under: the current key's, then the previous key's
    while a rotation is under way (the current one again when there is none), so that a
    lookup or a duplicate check misses nothing half-way through `rotate_lookup_key`."""
    current = lookup_hash(value, purpose=purpose)
    previous = settings.LOOKUP_HASH_KEY_PREVIOUS
    return current, _keyed(previous, value, purpose) if previous else current


def reset_caches() -> None:
    """For tests that change keys."""
    _fernet.cache_clear()


def encrypt_bytes(value: bytes) -> bytes:
    return _fernet().encrypt(value)


def decrypt_bytes(token: bytes | memoryview) -> bytes:
    return _fernet().decrypt(bytes(token))


# --- Key rotation ----------------------------------------------------------------------
# A new key is put first in TONGZHOU_FIELD_KEYS (the old ones stay after it, to decrypt);
# then every stored value is re-encrypted under it, in batches, by the service of the app
# that owns it (`manage.py rotate_field_keys`). A value already under the first key is left
# alone, so a rotation that stopped half-way simply runs again.


def _current() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())


def rotated(token: str) -> str | None:
    """`token` re-encrypted under the first key, or None if it already is."""
    if not token:
        return None
    try:
        _current().decrypt(token.encode())
    except InvalidToken:
        return _fernet().rotate(token.encode()).decode()
    return None


def rotated_bytes(token: bytes | memoryview | None) -> bytes | None:
    if token is None:
        return None
    raw = bytes(token)
    try:
        _current().decrypt(raw)
    except InvalidToken:
        return _fernet().rotate(raw)
    return None


def rotate_rows(
    rows: list[Any], text_fields: tuple[str, ...] = (), byte_fields: tuple[str, ...] = ()
) -> list[Any]:
    """The rows (model instances) whose encrypted fields were not all under the first key,
    re-encrypted in memory; the owner of the rows writes them back."""
    changed = []
    for row in rows:
        moved = False
        for name in text_fields:
            token = rotated(getattr(row, name))
            if token is not None:
                setattr(row, name, token)
                moved = True
        for name in byte_fields:
            raw = rotated_bytes(getattr(row, name))
            if raw is not None:
                setattr(row, name, raw)
                moved = True
        if moved:
            changed.append(row)
    return changed
