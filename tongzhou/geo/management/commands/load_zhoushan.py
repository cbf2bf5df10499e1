from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.geo.services import zhoushan_load


class Command(BaseCommand):
    help = "Load or refresh Zhoushan's regions and islands from the bundled reference data."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = zhoushan_load(actor=None)
        self.stdout.write(
            f"city: {counts.city}, districts: {counts.districts}, towns: {counts.towns}, "
            f"villages: {counts.villages}, islands: {counts.islands}"
        )
