"""`manage.py ledger_check`: every journal balances and every purse equals its entries (after
a restore, an upgrade, or whenever in doubt). Exits 1 on any problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongzhou.ledger.services import ledger_check


class Command(BaseCommand):
    help = "Check that journals balance and stored purse balances equal their entries."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_check()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problems in the ledger")
        self.stdout.write("ledger: every journal balances, every purse equals its entries")
