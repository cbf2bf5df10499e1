"""Messages to the person responsible (a wellness alert to the village's worker, a statement
sent back to the canteen's manager, an overdue item), by SMS or a work messaging app.

One interface, `Sender.send(message)`, chosen by `TONGZHOU_NOTIFY_SENDER` (a dotted path):
the embedded default writes each message to the log (`ConsoleSender`); a deployment points
it at a class of its own for the SMS gateway or the messaging app (see docs/operations.md).
Messages go out after the transaction that caused them commits, so a rolled-back change
sends nothing, and a sender that fails is logged without undoing the change."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache, partial
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger("tongzhou.notify")


@dataclass(frozen=True)
class Message:
    to_name: str
    to_phone: str  # an 11-digit mobile or a work-app account; may be empty
    text: str  # plain Chinese, under 70 characters where it goes by SMS
    kind: str  # "wellness_alert", "statement_returned", "overdue" …
    link: str = ""  # the page that deals with it, relative to the site


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class ConsoleSender:
    """Writes the message to the log: the embedded default and development."""

    def send(self, message: Message) -> None:
        log.info(
            "notification (%s) to %s: %s",
            message.kind,
            message.to_name,
            message.text,
            extra={
                "kind": message.kind,
                "to": message.to_name,
                "has_phone": bool(message.to_phone),
                "text": message.text,
                "link": message.link,
            },
        )


@cache
def sender() -> Sender:
    return import_string(settings.NOTIFY_SENDER)()


def _deliver(message: Message) -> None:
    try:
        sender().send(message)
    except Exception:
        # A gateway down must not undo the alert that was raised: it stays on the page.
        log.exception("notification not sent", extra={"kind": message.kind})


def send_now(messages: list[Message]) -> None:
    """Send at once: for reminders that change nothing in the database."""
    for message in messages:
        _deliver(message)


def notify(messages: list[Message]) -> None:
    """Send each message once the current transaction commits (at once outside one)."""
    for message in messages:
        transaction.on_commit(partial(_deliver, message))
