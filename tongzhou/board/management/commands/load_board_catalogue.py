from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.board.services import catalogue_load


class Command(BaseCommand):
    help = "Load the shipped indicator catalogue (with the report's 2023 figures) where missing."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{catalogue_load()} indicators added")
