"""Personal data at rest: Fernet encryption for values, keyed HMAC for exact lookup.

Fernet (AES-128-CBC + HMAC-SHA256) comes from `cryptography`; several keys may be configured so
old rows stay readable while a new key encrypts (MultiFernet rotation).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
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


def lookup_hash(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash; `purpose` keeps hashes of different fields unrelated."""
    key = settings.LOOKUP_HASH_KEY.encode()
    message = f"{purpose}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def reset_caches() -> None:
    """For tests that change keys."""
    _fernet.cache_clear()


def encrypt_bytes(value: bytes) -> bytes:
    return _fernet().encrypt(value)


def decrypt_bytes(token: bytes | memoryview) -> bytes:
    return _fernet().decrypt(bytes(token))
