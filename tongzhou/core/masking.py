"""Masks for personal identifiers shown to people who may not see them in full."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """330902********1234: region kept, birth date and sequence hidden."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; keeps the last four digits of anything shorter."""
    if not value:
        return ""
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_name(value: str) -> str:
    """张*明 / 王* : the family name and the last character, for receipts and public lists."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
