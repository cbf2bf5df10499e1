"""Cards: issue, report lost, replace. Lookups go by keyed hash of the number."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from tongzhou.accounts.roles import Cap
from tongzhou.accounts.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.core import clock, crypto
from tongzhou.core.errors import DomainError, NotFound, ValidationFailed
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.identity.models import Card, CardStatus

_CARD = re.compile(r"^[0-9A-Za-z]{6,32}$")


def normalise_card_number(raw: str) -> str:
    number = raw.strip().replace(" ", "").upper()
    if not _CARD.match(number):
        raise ValidationFailed(
            "card_number_invalid",
            "卡号格式不正确（6-32位数字或字母）。",
            "The card number is not valid (6-32 letters or digits).",
        )
    return number


def card_hash(number: str) -> str:
    return crypto.lookup_hash(number, purpose="card")


def mask_card(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


@transaction.atomic
def card_issue(*, actor: Any, elder: Elder, number: str) -> Card:
    """Bind a card to an elder. An active card already held is marked replaced: the person,
    purses and history stay with the elder, not with the card."""
    require_cap(actor, Cap.ELDER_EDIT, "发放助餐卡", "issue cards")
    locked = (
        Elder.objects.select_for_update()
        .filter(scope_for(actor).region_q("residence__path"), pk=elder.pk)
        .first()
    )
    if locked is None:
        raise NotFound("老年人", "elder")
    elder = locked
    number = normalise_card_number(number)
    now = clock.now()
    replaced = list(Card.objects.filter(elder=elder, status=CardStatus.ACTIVE))
    for old in replaced:
        old.status, old.blocked_at = CardStatus.REPLACED, now
        old.save(update_fields=["status", "blocked_at"])
    try:
        with transaction.atomic():
            card = Card.objects.create(
                elder=elder, number_hash=card_hash(number), number_masked=mask_card(number)
            )
    except IntegrityError:
        raise ValidationFailed(
            "card_number_taken", "该卡号已绑定其他人。", "That card is bound to someone else."
        ) from None
    audit_record(
        actor=actor,
        action="card.issue",
        target=elder,
        after={"card": card.number_masked, "replaced": [c.number_masked for c in replaced]},
        scope_path=elder.residence.path,
    )
    return card


@transaction.atomic
def card_report_lost(*, actor: Any, card: Card) -> Card:
    require_cap(actor, Cap.ELDER_EDIT, "挂失助餐卡", "report cards lost")
    locked = (
        Card.objects.select_for_update()
        .select_related("elder__residence")
        .filter(scope_for(actor).region_q("elder__residence__path"), pk=card.pk)
        .first()
    )
    if locked is None:
        raise NotFound("卡", "card")
    card = locked
    if card.status == CardStatus.ACTIVE:
        before = snapshot(card, ("status", "blocked_at"))
        card.status, card.blocked_at = CardStatus.LOST, clock.now()
        card.save(update_fields=["status", "blocked_at"])
        audit_record(
            actor=actor,
            action="card.lost",
            target=card.elder,
            before=before | {"card": card.number_masked},
            after=snapshot(card, ("status", "blocked_at")),
            scope_path=card.elder.residence.path,
        )
    return card


class IdentityError(DomainError):
    pass


def _refuse(code: str, zh: str, en: str, status: int) -> IdentityError:
    return IdentityError(code=code, message_zh=zh, message_en=en, status=status)


def elder_by_card(number: str) -> tuple[Card, Elder]:
    """Resolve a presented card to exactly one active elder, or refuse with a clear reason."""
    unknown = _refuse("card_unknown", "无法识别此卡。", "Unknown card.", 404)
    try:
        normalised = normalise_card_number(number)
    except ValidationFailed:
        raise unknown from None
    card = (
        Card.objects.select_related("elder__residence")
        .only(
            "status", "elder__name", "elder__birth_date", "elder__status",
            "elder__residence__path",
        )
        .filter(number_hash=card_hash(normalised))
        .first()
    )  # fmt: skip
    if card is None:
        raise unknown
    if card.status != CardStatus.ACTIVE:
        raise _refuse(
            "card_blocked",
            "此卡已挂失或已换新卡，请使用新卡或联系社区。",
            "This card has been reported lost or replaced.",
            403,
        )
    elder = card.elder
    if elder.status == ElderStatus.DECEASED:
        raise _refuse(
            "elder_deceased",
            "该老人已登记去世，不能用餐结算。",
            "This elder is recorded as deceased.",
            403,
        )
    if elder.status != ElderStatus.ACTIVE:
        raise _refuse(
            "elder_inactive",
            "该老人已迁出或停用，请联系社区核实。",
            "This elder is not active (moved away).",
            403,
        )
    return card, elder
