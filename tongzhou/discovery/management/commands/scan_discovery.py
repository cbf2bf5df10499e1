from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.core import clock
from tongzhou.discovery.services import discovery_scan


class Command(BaseCommand):
    help = "Run every active discovery rule for today (nightly); new cases go to the villages."

    def handle(self, *args: Any, **options: Any) -> None:
        result = discovery_scan(day=clock.today())
        for code in sorted(result.hits):
            self.stdout.write(
                f"{code}: {result.hits[code]} found, {result.opened[code]} new cases "
                f"({result.seconds[code]:.2f} s)"
            )
