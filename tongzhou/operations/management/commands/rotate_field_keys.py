"""`manage.py rotate_field_keys`: after a new key is put first in TONGZHOU_FIELD_KEYS (the old
ones after it), re-encrypt every stored personal value under it, in batches. Values already
under the new key are skipped, so a run that stopped resumes by running again; once it has
finished, the old keys can be removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.bookings.services import proofs_reencrypt
from tongzhou.elders.services import elders_reencrypt
from tongzhou.identity.face_services import faces_reencrypt

# What each owner re-encrypts, batch by batch: (changed, last id read or None when done).
OWNERS: dict[str, Callable[..., tuple[int, int | None]]] = {
    "elders (ID numbers, phones)": elders_reencrypt,
    "face enrolments": faces_reencrypt,
    "delivery proof photos": proofs_reencrypt,
}


class Command(BaseCommand):
    help = "Re-encrypt all personal data under the first key of TONGZHOU_FIELD_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        for label, reencrypt in OWNERS.items():
            total, after = 0, 0
            while True:
                changed, last = reencrypt(after_pk=after)
                total += changed
                if last is None:
                    break
                after = last
            self.stdout.write(f"{label}: {total} re-encrypted")
