from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tongzhou.core.errors import DomainError
from tongzhou.elders.importer import elders_import, report_lines


class Command(BaseCommand):
    help = "Import an elder register (.xlsx or .csv) as the given user; prints every bad row."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="username of the acting staff member")
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args: Any, path: Path, user: str, lang: str, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no such user: {user}")
        translation.activate(lang)
        try:
            with path.open("rb") as handle:
                report = elders_import(actor=actor, handle=handle, filename=path.name)
        except DomainError as error:
            raise CommandError(f"[{error.code}] {error.message(lang)}") from error
        for line in report_lines(report, lang):
            self.stdout.write(line)
