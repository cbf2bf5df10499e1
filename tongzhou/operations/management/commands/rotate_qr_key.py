"""`manage.py rotate_qr_key`: after TONGZHOU_QR_KEY is replaced (the old one in
TONGZHOU_QR_KEY_PREVIOUS; or, where the QR secret derives from the secret key, after the
secret key is replaced and the old one kept in TONGZHOU_SECRET_KEY_FALLBACKS), remake the
offline verifiers of cards and printed code cards under the new secret, in batches (rerun to
resume). Codes shown on phones change at once; printed cards keep working while the previous
secret is listed, and must be reissued before it is removed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.identity.services import cards_reverify, printed_cards_reverify
from tongzhou.operations.rotation import run_batches


class Command(BaseCommand):
    help = (
        "Remake the offline verifiers of cards and printed code cards after the QR secret changed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run_batches(
            {"cards": cards_reverify, "printed code cards": printed_cards_reverify}, self.stdout
        )
