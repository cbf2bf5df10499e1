"""Reconcile a settlement period: sales = ledger postings = statements, per canteen and
funder, to the fen. Exits with status 1 when anything differs, listing the sales behind it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongzhou.core.errors import DomainError
from tongzhou.core.money import yuan
from tongzhou.settlement.models import Cycle, SettlementPeriod
from tongzhou.settlement.reconcile import reconcile
from tongzhou.settlement.services import month_argument, period_bounds


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="YYYY-MM (a month, or any month of a quarter)")
        parser.add_argument("--cycle", choices=Cycle.values, default=Cycle.MONTHLY)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = month_argument(options["period"])
        except DomainError as refused:
            raise CommandError(refused.message_en) from None
        start, _end = period_bounds(options["cycle"], day)
        period = SettlementPeriod.objects.filter(cycle=options["cycle"], starts_on=start).first()
        if period is None:
            raise CommandError(f"no {options['cycle']} period starting {start}")
        result = reconcile(period)
        self.stdout.write(
            f"{'canteen':<12} {'funder':<9} {'sales':>12} {'ledger':>12} {'statement':>12}"
        )
        for row in result.rows:
            stated = "draft" if row.statement_fen is None else yuan(row.statement_fen)
            mark = "" if row.agrees else "  ← differs"
            sales, ledger = yuan(row.transactions_fen), yuan(row.ledger_fen)
            code = row.statement.canteen.code
            self.stdout.write(
                f"{code:<12} {row.funder:<9} {sales:>12} {ledger:>12} {stated:>12}{mark}"
            )
        for statement_id, receipts in result.records.items():
            self.stdout.write(f"statement {statement_id}: sales whose postings differ: {receipts}")
        if not result.ok:
            self.stdout.write(f"{len(result.differences)} differences")
            raise SystemExit(1)
        self.stdout.write(f"{period}: {len(result.rows)} figures agree to the fen")
