"""`manage.py restore FOLDER`: bring a backup back into an empty database (then run
`manage.py ledger_check`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongzhou.core.backups import RestoreRefused, restore


class Command(BaseCommand):
    help = "Restore a backup folder made by `manage.py backup` into an empty database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--into", help="a DATABASE_URL other than the configured one")
        parser.add_argument("--force", action="store_true", help="overwrite existing data")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(options["folder"], options["into"], force=options["force"])
        except RestoreRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"restored the backup of {manifest['created_at']} ({manifest['engine']}); "
            "check it with `manage.py ledger_check`"
        )
