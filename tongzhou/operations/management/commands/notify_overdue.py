from typing import Any

from django.core.management.base import BaseCommand

from tongzhou.core import clock
from tongzhou.core.notify import send_now
from tongzhou.operations.reminders import overdue_messages


class Command(BaseCommand):
    help = "Tell each responsible person what is overdue: open wellness alerts, statements waiting."

    def handle(self, *args: Any, **options: Any) -> None:
        messages = overdue_messages(clock.now())
        send_now(messages)
        self.stdout.write(f"{len(messages)} reminders sent")
