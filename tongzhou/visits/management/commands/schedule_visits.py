from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.core import clock
from tongzhou.visits.services import visits_escalate, visits_schedule


class Command(BaseCommand):
    help = (
        "Run each morning: visits whose window closed unrecorded become overdue and the "
        "town hears of them; then every elder in a tier is owed the visit of this period."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        today = clock.today()
        overdue = visits_escalate(day=today)
        result = visits_schedule(day=today)
        tiers = ", ".join(f"{code} {n}" for code, n in sorted(result.by_tier.items()))
        self.stdout.write(
            f"{overdue} visits overdue and escalated; {result.created} visits scheduled "
            f"({tiers or 'none'}), {result.cancelled} replaced after a tier change"
        )
