"""`manage.py rotate_lookup_key`: after TONGZHOU_LOOKUP_KEY is replaced (the old key moved to
TONGZHOU_LOOKUP_KEY_PREVIOUS, where lookups still match it), rewrite every stored lookup hash
under the new key, in batches (rerun to resume). When it reports no card waiting, the
previous key can be removed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tongzhou.elders.services import elders_rehash
from tongzhou.identity.services import cards_rehash, cards_waiting_for_use
from tongzhou.operations.rotation import run_batches


class Command(BaseCommand):
    help = "Rewrite the lookup hashes of ID numbers, phones and cards under TONGZHOU_LOOKUP_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LOOKUP_HASH_KEY_PREVIOUS:
            self.stdout.write(
                "TONGZHOU_LOOKUP_KEY_PREVIOUS is not set: hashes under another key would no "
                "longer be found; rewriting under the current key anyway."
            )
        run_batches(
            {"elders (ID numbers, phones)": elders_rehash, "cards": cards_rehash}, self.stdout
        )
        waiting = cards_waiting_for_use()
        if waiting:
            self.stdout.write(
                f"{waiting} cards issued before card numbers were kept encrypted are found "
                "under the previous key until their next use at a counter: keep "
                "TONGZHOU_LOOKUP_KEY_PREVIOUS until this says none (or reissue them)."
            )
        else:
            self.stdout.write("No card waiting: TONGZHOU_LOOKUP_KEY_PREVIOUS can be removed.")
