from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.board.supervision import items_remind


class Command(BaseCommand):
    help = "Remind units of supervision items due within three days, and raisers of overdue ones."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{items_remind()} reminders sent")
