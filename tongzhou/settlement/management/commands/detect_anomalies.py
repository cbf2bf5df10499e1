"""Find anomaly cases in a settlement period (card lending across islands, too many meals,
meals after death or moving away, drifting terminal clocks, unusual voids and refunds)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongzhou.core.errors import DomainError
from tongzhou.settlement.anomalies import detect_anomalies
from tongzhou.settlement.models import Cycle
from tongzhou.settlement.services import month_argument, period_for


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="YYYY-MM")
        parser.add_argument("--cycle", choices=Cycle.values, default=Cycle.MONTHLY)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = month_argument(options["period"])
        except DomainError as refused:
            raise CommandError(refused.message_en) from None
        found = detect_anomalies(period_for(options["cycle"], day))
        self.stdout.write(", ".join(f"{kind}: {n} new" for kind, n in found.items()))
