"""`manage.py rotate_field_keys`: after a new key is put first in TONGZHOU_FIELD_KEYS (the old
ones after it), re-encrypt every stored personal value under it, in batches. Values already
under the new key are skipped, so a run that stopped resumes by running again; once it has
finished, the old keys can be removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.bookings.services import proofs_reencrypt
from tongzhou.elders.services import elders_reencrypt
from tongzhou.identity.face_services import faces_reencrypt
from tongzhou.identity.services import cards_reencrypt
from tongzhou.operations.rotation import run_batches


class Command(BaseCommand):
    help = "Re-encrypt all personal data under the first key of TONGZHOU_FIELD_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        run_batches(
            {
                "elders (ID numbers, phones)": elders_reencrypt,
                "cards (numbers)": cards_reencrypt,
                "face enrolments": faces_reencrypt,
                "delivery proof photos": proofs_reencrypt,
            },
            self.stdout,
        )
