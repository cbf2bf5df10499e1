from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.care.services import entitlements_refresh
from tongzhou.core import clock
from tongzhou.elders.models import Elder


class Command(BaseCommand):
    help = (
        "Bring every elder's entitlements in line with the list in force and their facts "
        "today (run nightly): what changed closes yesterday and opens today."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(Elder.objects.order_by("pk").values_list("pk", flat=True))
        changed = entitlements_refresh(elder_ids=ids, day=clock.today())
        self.stdout.write(f"{len(ids)} elders, {changed} entitlement rows opened or closed")
