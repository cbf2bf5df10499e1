"""Cards: issue, report lost, replace. Lookups go by keyed hash of the number."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.canteens.models import Terminal
from tongzhou.core import clock, crypto
from tongzhou.core.errors import DomainError, NotFound, ValidationFailed
from tongzhou.core.text import ascii_folded
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.identity import offline, qr
from tongzhou.identity.face_services import TOKEN_PREFIX, elder_by_face_token
from tongzhou.identity.models import Card, CardStatus, QrIdentity, QrUse
from tongzhou.throttle.services import Rule, note_failure, refuse_if_locked

_CARD = re.compile(r"^[0-9A-Z]{6,32}$")


def normalise_card_number(raw: str) -> str:
    number = ascii_folded(raw)
    if not _CARD.match(number):
        raise ValidationFailed(
            "card_number_invalid",
            "卡号格式不正确（6-32位数字或字母）。",
            "The card number is not valid (6-32 letters or digits).",
        )
    return number


def card_hash(number: str) -> str:
    return crypto.lookup_hash(number, purpose="card")


def card_hashes(number: str) -> tuple[str, str]:
    """The hashes a card may be stored under (see `crypto.lookup_hashes`)."""
    return crypto.lookup_hashes(number, purpose="card")


def mask_card(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


def card_number_taken() -> ValidationFailed:
    return ValidationFailed(
        "card_number_taken", "该卡号已绑定其他人。", "That card is bound to someone else."
    )


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
    taken = Card.objects.filter(number_hash__in=card_hashes(number)).exclude(elder=elder)
    if taken.exists():
        raise card_number_taken()
    replaced = list(Card.objects.filter(elder=elder, status=CardStatus.ACTIVE))
    for old in replaced:
        old.status, old.blocked_at = CardStatus.REPLACED, now
        old.save(update_fields=["status", "blocked_at"])
    try:
        with transaction.atomic():
            card = Card.objects.create(
                elder=elder,
                number_hash=card_hash(number),
                number_masked=mask_card(number),
                number_encrypted=crypto.encrypt(number),
                offline_verifier=offline.verifier(number),
            )
    except IntegrityError:
        raise card_number_taken() from None
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


def refuse_unusable(status: str) -> None:
    """Only an active elder eats on the platform's money."""
    if status == ElderStatus.DECEASED:
        raise _refuse(
            "elder_deceased",
            "该老人已登记去世，不能用餐结算。",
            "This elder is recorded as deceased.",
            403,
        )
    if status != ElderStatus.ACTIVE:
        raise _refuse(
            "elder_inactive",
            "该老人已迁出或停用，请联系社区核实。",
            "This elder is not active (moved away).",
            403,
        )


def _usable(elder: Elder) -> Elder:
    refuse_unusable(elder.status)
    return elder


def card_unknown() -> IdentityError:
    return _refuse("card_unknown", "无法识别此卡。", "Unknown card.", 404)


def refuse_blocked_card(status: str) -> None:
    if status != CardStatus.ACTIVE:
        raise _refuse(
            "card_blocked",
            "此卡已挂失或已换新卡，请使用新卡或联系社区。",
            "This card has been reported lost or replaced.",
            403,
        )


def presented_card_hashes(raw: str) -> tuple[str, str] | None:
    """The lookup hashes of what the reader delivered if it is a card number; None for a QR
    code or a confirmed face, which `resolve_credential` recognises."""
    if raw.startswith(TOKEN_PREFIX) or qr.looks_like_qr(raw):
        return None
    try:
        return card_hashes(normalise_card_number(raw))
    except ValidationFailed:
        raise card_unknown() from None


def card_fill_verifiers(numbers: Iterable[str]) -> None:
    """Cards issued in bulk get their offline hash at first use, when the number is here
    (or all at once, where the numbers are known, as in the checkout benchmark); with it,
    the number encrypted and its hash under the current lookup key, for the next rotation."""
    normalised = [normalise_card_number(raw) for raw in numbers]
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE identity_card "
            "SET offline_verifier = %s, number_encrypted = %s, number_hash = %s "
            "WHERE number_hash IN (%s, %s) AND offline_verifier = ''",
            [
                (offline.verifier(number), crypto.encrypt(number), card_hash(number),
                 *card_hashes(number))
                for number in normalised
            ],
        )  # fmt: skip


def card_fill_verifier(raw: str) -> None:
    card_fill_verifiers([raw])


def elder_by_card(number: str) -> tuple[Card, Elder]:
    """Resolve a presented card to exactly one active elder, or refuse with a clear reason."""
    try:
        normalised = normalise_card_number(number)
    except ValidationFailed:
        raise card_unknown() from None
    card = (
        Card.objects.select_related("elder__residence")
        .only(
            "status", "offline_verifier", "elder__name", "elder__birth_date", "elder__status",
            "elder__residence__path",
        )
        .filter(number_hash__in=card_hashes(normalised))
        .first()
    )  # fmt: skip
    if card is None:
        raise card_unknown()
    refuse_blocked_card(card.status)
    if not card.offline_verifier:
        card_fill_verifier(normalised)
    return card, _usable(card.elder)


# --- QR codes -------------------------------------------------------------------------

QR_REFUSALS = {
    "qr_malformed": ("二维码无法识别，请重新扫码。", "The QR code cannot be read; scan again."),
    # One answer whether nobody holds the code or its signature is wrong: a counter must not
    # learn which tokens are real.
    "qr_invalid": (
        "二维码无效，请在手机上刷新后再扫，或改用市民卡。",
        "The QR code is not valid; refresh it on the phone and scan again, or use the card.",
    ),
    "qr_expired": (
        "二维码已过期，请在手机上刷新后再扫。",
        "The QR code has expired; refresh it on the phone and scan again.",
    ),
    "qr_replayed": (
        "该二维码已使用过，请刷新后再扫。",
        "This QR code was already used; refresh it and scan again.",
    ),
    "qr_revoked": (
        "这张二维码卡已停用，请联系社区换新卡。",
        "This printed code card has been revoked; ask the community for a new one.",
    ),
}


# Wrong QR codes (nobody holds it, or a wrong signature): 20 from one counter in 10 minutes
# pause its QR checks for 15; 5 for one elder's token pause that token for 30.
QR_TERMINAL_RULE = Rule(
    code="qr_attempts_exceeded",
    limit=20,
    window=dt.timedelta(minutes=10),
    lockout=dt.timedelta(minutes=15),
    message_zh="本收银台二维码验证失败次数过多，请15分钟后再试，或改用市民卡。",
    message_en="Too many invalid QR codes at this counter; wait 15 minutes or use the card.",
)
QR_TOKEN_RULE = Rule(
    code="qr_attempts_exceeded",
    limit=5,
    window=dt.timedelta(minutes=10),
    lockout=dt.timedelta(minutes=30),
    message_zh="这个二维码验证失败次数过多，已暂停使用，请改用市民卡或联系社区。",
    message_en="Too many invalid attempts with this QR code; use the card or ask the community.",
)


def qr_refusal(code: str) -> IdentityError:
    zh, en = QR_REFUSALS[code]
    return _refuse(code, zh, en, 409 if code == "qr_replayed" else 403)


def qr_identity_for(elder: Elder) -> QrIdentity:
    """The elder's QR identity, created with a random public token on first use."""
    found = QrIdentity.objects.filter(elder=elder).first()
    while found is None:
        token = f"{secrets.randbelow(10**qr.TOKEN_DIGITS):0{qr.TOKEN_DIGITS}d}"
        try:
            with transaction.atomic():
                found = QrIdentity.objects.create(elder=elder, token=token)
        except IntegrityError:
            found = QrIdentity.objects.filter(elder=elder).first()
    return found


def qr_current_code(identity: QrIdentity, *, at: float | None = None) -> str:
    """The rotating code to show now (the elder's page, the family's phone)."""
    moment = clock.now().timestamp() if at is None else at
    key = qr.elder_key(qr.server_secret(), identity.token, identity.key_version)
    return qr.rotating_code(key, identity.token, qr.step_at(moment))


@transaction.atomic
def qr_printed_card_issue(*, actor: Any, elder: Elder) -> str:
    """Issue (or reissue) a printed code card; any earlier printed card stops working."""
    require_cap(actor, Cap.ELDER_EDIT, "发放二维码卡", "issue printed code cards")
    require_elder_in_scope(actor=actor, elder=elder)
    identity = QrIdentity.objects.select_for_update().get(pk=qr_identity_for(elder).pk)
    identity.printed_version += 1
    identity.printed_active = True
    key = qr.elder_key(qr.server_secret(), identity.token, identity.key_version)
    code = qr.printed_code(key, identity.token, identity.printed_version)
    identity.printed_verifier = offline.verifier(code)
    identity.save(update_fields=["printed_version", "printed_active", "printed_verifier"])
    audit_record(
        actor=actor,
        action="qr.printed_issue",
        target=elder,
        after={"printed_version": identity.printed_version},
        scope_path=elder.residence.path,
    )
    return code


@transaction.atomic
def qr_printed_card_revoke(*, actor: Any, elder: Elder) -> None:
    require_cap(actor, Cap.ELDER_EDIT, "停用二维码卡", "revoke printed code cards")
    require_elder_in_scope(actor=actor, elder=elder)
    identity = QrIdentity.objects.select_for_update().get(pk=qr_identity_for(elder).pk)
    identity.printed_active = False
    identity.save(update_fields=["printed_active"])
    audit_record(
        actor=actor,
        action="qr.printed_revoke",
        target=elder,
        after={"printed_version": identity.printed_version},
        scope_path=elder.residence.path,
    )


@dataclass(frozen=True)
class Resolved:
    """Who presented what at the counter."""

    elder: Elder
    method: str  # "card", "qr" or "qr_card"
    qr_step: int | None = None  # set for rotating codes: each is accepted once


def resolve_credential(
    raw: str, *, terminal: Any = None, at: dt.datetime | None = None
) -> Resolved:
    """One resolver for every way an elder is recognised (card, QR code, confirmed face);
    each resolves to exactly one elder or refuses with a stable code. `at` is when the code
    was shown, for a sale a counter recorded while offline."""
    if raw.startswith(TOKEN_PREFIX):
        return Resolved(_usable(elder_by_face_token(raw, terminal=terminal)), "face")
    if not qr.looks_like_qr(raw):
        _card, elder = elder_by_card(raw)
        return Resolved(elder, "card")
    payload = qr.parse(raw)
    guards = [(f"qr-token:{payload.token}", QR_TOKEN_RULE)]
    if terminal is not None:
        guards.append((f"qr-terminal:{terminal.pk}", QR_TERMINAL_RULE))
    for guard_key, rule in guards:
        refuse_if_locked(guard_key, rule)
    identity = (
        QrIdentity.objects.select_related("elder__residence")
        .only(
            "key_version", "printed_version", "printed_active", "elder__name",
            "elder__birth_date", "elder__status", "elder__residence__path",
        )
        .filter(token=payload.token)
        .first()
    )  # fmt: skip
    try:
        if identity is None:
            raise qr.QrRefused("qr_invalid")
        return _verified_qr(payload, identity, at)
    except qr.QrRefused as refused:
        if refused.code == "qr_invalid":  # a guess: counted, and locked out after a few
            for guard_key, rule in guards:
                note_failure(guard_key, rule)
        raise qr_refusal(refused.code) from None


def _verified_qr(payload: qr.QrPayload, identity: QrIdentity, at: dt.datetime | None) -> Resolved:
    """The code checked under the current QR secret, then under any previous one (a rotation
    under way): a code signed by neither is `qr_invalid`; expired or revoked is said only of a
    genuine code."""
    refusal = qr.QrRefused("qr_invalid")
    for secret in qr.server_secrets():
        key = qr.elder_key(secret, payload.token, identity.key_version)
        try:
            if payload.kind == qr.ROTATING:
                now_step = qr.step_at((at or clock.now()).timestamp())
                return Resolved(
                    _usable(identity.elder), "qr", qr.verify_rotating(payload, key, now_step)
                )
            version = identity.printed_version if identity.printed_active else 0
            qr.verify_printed(payload, key, version)
            return Resolved(_usable(identity.elder), "qr_card")
        except qr.QrRefused as refused:
            if refused.code != "qr_invalid":
                raise
            refusal = refused
    raise refusal


def writes_on_recognition(raw: str) -> bool:
    """Whether recognising this credential writes (a confirmed face is used up): such a
    sale recognises its elder inside its own transaction; a QR code is checked outside it,
    so that a failed guess is counted even though the sale is refused."""
    return raw.startswith(TOKEN_PREFIX)


# A rotating QR code's use is written with the sale that used it: each code is accepted once
# city-wide (`qr_code_used_once`), and only if the sale is written.


def qr_use_cte(*, source: str, elder_id: str, step: str, used_at: str) -> str:
    """The use as a CTE of the sale's statement on PostgreSQL: the arguments are expressions
    over the one-row relation `source`."""
    return f"""identity_qr_use AS (
    INSERT INTO identity_qruse (elder_id, step, used_at)
    SELECT {elder_id}, {step}, {used_at} FROM {source}
)"""


def qr_use_record(*, elder_id: int, step: int, used_at: dt.datetime) -> None:
    """The use in the sale's transaction (elsewhere than PostgreSQL)."""
    QrUse.objects.create(elder_id=elder_id, step=step, used_at=used_at)


@transaction.atomic
def offline_pack_issue(*, terminal: Terminal, elder_ids: list[int]) -> dict[str, Any]:
    """A counter's offline pack for these regular elders, its issue audited (a tablet holds
    what recognises them until it expires)."""
    pack = offline.offline_pack(elder_ids)
    audit_record(
        actor=None,
        actor_label=f"terminal:{terminal.key_id}",
        action="terminal.offline_pack",
        target=terminal,
        after={"elders": len(pack["elders"]), "valid_until": pack["valid_until"]},
        canteen_id=terminal.canteen_id,
        scope_path=terminal.canteen.village.path,
    )
    return pack


# --- Key rotation -----------------------------------------------------------------------
# Each runs batch by batch, returning (rows changed, last id read, None when done); a row
# already under the current key is left alone, so a rotation that stopped runs again.


def cards_reencrypt(*, after_pk: int = 0, batch_size: int = 2000) -> tuple[int, int | None]:
    """Card numbers re-encrypted under the first field key."""
    rows = list(
        Card.objects.filter(pk__gt=after_pk).order_by("pk").only("number_encrypted")[:batch_size]
    )
    changed = crypto.rotate_rows(rows, text_fields=("number_encrypted",))
    with transaction.atomic():
        Card.objects.bulk_update(changed, ["number_encrypted"])
    return len(changed), rows[-1].pk if rows else None


def cards_rehash(*, after_pk: int = 0, batch_size: int = 2000) -> tuple[int, int | None]:
    """Cards' lookup hashes rewritten under the current lookup key. A card whose number was
    never held encrypted (issued before the platform kept it) has its offline verifier
    cleared instead: its next use at a counter rewrites the hash and the verifier
    (`card_fill_verifiers`), and until then the previous key still finds it."""
    rows = list(
        Card.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .only("number_hash", "number_encrypted", "offline_verifier")[:batch_size]
    )
    changed = []
    for card in rows:
        if card.number_encrypted:
            digest = card_hash(crypto.decrypt(card.number_encrypted))
            if digest != card.number_hash:
                card.number_hash = digest
                changed.append(card)
        elif card.offline_verifier:
            card.offline_verifier = ""
            changed.append(card)
    with transaction.atomic():
        Card.objects.bulk_update(changed, ["number_hash", "offline_verifier"])
    return len(changed), rows[-1].pk if rows else None


def cards_waiting_for_use() -> int:
    """Cards whose number the platform has not held yet: found only under the lookup key of
    their issue until they are used at a counter (or reissued)."""
    return Card.objects.filter(status=CardStatus.ACTIVE, number_encrypted="").count()


def cards_reverify(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Cards' offline verifiers remade with the current QR secret's salt (after the secret
    changed); a card whose number was never held encrypted is left to its next online use."""
    rows = list(
        Card.objects.filter(pk__gt=after_pk)
        .order_by("pk")
        .only("number_encrypted", "offline_verifier")[:batch_size]
    )
    changed = []
    for card in rows:
        wanted = (
            offline.verifier(crypto.decrypt(card.number_encrypted)) if card.number_encrypted else ""
        )
        if card.offline_verifier != wanted:
            card.offline_verifier = wanted
            changed.append(card)
    with transaction.atomic():
        Card.objects.bulk_update(changed, ["offline_verifier"])
    return len(changed), rows[-1].pk if rows else None


def printed_cards_reverify(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Printed code cards' offline verifiers remade with the current QR secret's salt. The
    card in the elder's hand was signed with whichever secret was current at its issue: the
    stored verifier tells which, and the new verifier is of that same code."""
    rows = list(
        QrIdentity.objects.filter(pk__gt=after_pk)
        .exclude(printed_verifier="")
        .order_by("pk")
        .only("token", "key_version", "printed_version", "printed_verifier")[:batch_size]
    )
    changed = []
    secrets_known = qr.server_secrets()
    for identity in rows:
        codes = [
            qr.printed_code(
                qr.elder_key(secret, identity.token, identity.key_version),
                identity.token,
                identity.printed_version,
            )
            for secret in secrets_known
        ]
        if any(offline.verifier(code) == identity.printed_verifier for code in codes):
            continue  # already remade
        for code in codes:
            if any(
                offline.verifier(code, secret=salted_by) == identity.printed_verifier
                for salted_by in secrets_known[1:]
            ):
                identity.printed_verifier = offline.verifier(code)
                changed.append(identity)
                break
    with transaction.atomic():
        QrIdentity.objects.bulk_update(changed, ["printed_verifier"])
    return len(changed), rows[-1].pk if rows else None
