"""Checks that stop the platform from starting on keys that cannot read its data: it would
otherwise serve every elder's ID number as noise."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from tongzhou.elders.services import elders_readable


@register(Tags.database)
def field_keys_read_the_data(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        readable = elders_readable()
    except DatabaseError:
        return []  # not migrated yet: nothing stored to read
    if readable:
        return []
    return [
        Error(
            "TONGZHOU_FIELD_KEYS cannot decrypt the stored personal data.",
            hint="Start with the keys the data was written with (a new key goes first, the "
            "old ones stay after it until `manage.py rotate_field_keys` has run).",
            id="tongzhou.E001",
        )
    ]
