import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongzhou.board.services import board_recompute


class Command(BaseCommand):
    help = "Recompute every computed indicator for every unit for the periods holding a day."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=dt.date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = board_recompute(day=options["day"])
        self.stdout.write(f"{written} values in {time.perf_counter() - started:.1f} s")
