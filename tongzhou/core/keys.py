"""Print a fresh set of secrets in env-file form (used by `make` for var/local.env)."""

import secrets

from cryptography.fernet import Fernet

if __name__ == "__main__":
    print(f"TONGZHOU_SECRET_KEY={secrets.token_urlsafe(50)}")  # noqa: T201
    print(f"TONGZHOU_FIELD_KEYS={Fernet.generate_key().decode()}")  # noqa: T201
    print(f"TONGZHOU_LOOKUP_KEY={secrets.token_urlsafe(32)}")  # noqa: T201
