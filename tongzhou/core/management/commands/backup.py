"""`manage.py backup DIR`: a consistent backup of the database (and uploaded files), while the
platform serves. Keys are never in it: keep them apart (README, Operations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.core.backups import backup


class Command(BaseCommand):
    help = "Back up the database and uploaded files into a new folder under DIR."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        folder = backup(options["directory"])
        self.stdout.write(str(folder))
