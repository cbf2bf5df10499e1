from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongzhou.accounts.models import User
from tongzhou.core.errors import DomainError
from tongzhou.oversight.services import stages_release


class Command(BaseCommand):
    help = (
        "Release the construction subsidy stages that have fallen due for recorded canteens "
        "(as a city user, audited as them); run nightly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the city bureau's account")

    def handle(self, *args: Any, user: str, **options: Any) -> None:
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user}")
        try:
            released = stages_release(actor=actor)
        except DomainError as refused:
            raise CommandError(refused.message()) from None
        self.stdout.write(f"{released} stages released")
