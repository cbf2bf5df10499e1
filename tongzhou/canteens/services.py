"""Writes for canteens and terminals: actor, transaction, audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, models, transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record, reference_save, snapshot
from tongzhou.canteens.models import (
    UNUSABLE_SECRET,
    Canteen,
    CanteenKind,
    CanteenStatus,
    Dish,
    MealSession,
    MenuItem,
    Operator,
    ServiceTag,
    Terminal,
    TerminalStatus,
)
from tongzhou.core import clock, sql
from tongzhou.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from tongzhou.geo.models import Region, RegionLevel

CANTEEN_FIELDS = (
    "code",
    "name",
    "kind",
    "operator",
    "village",
    "island",
    "address",
    "lon",
    "lat",
    "seats",
    "status",
    "opened_on",
    "open_amount_max_fen",
    "licence_no",
    "licence_expires_on",
    "kitchen_camera_url",
)
TERMINAL_FIELDS = ("canteen", "name", "key_id", "status", "rotated_at", "revoked_at")
CREDENTIAL_PREFIX = "tzt"


def _check_canteen(actor: Any, canteen: Canteen) -> None:
    village: Region = canteen.village
    if village.level != RegionLevel.VILLAGE:
        raise ValidationFailed(
            "canteen_village_invalid",
            "食堂所在地必须是村或社区。",
            "A canteen must sit in a village or community.",
        )
    if not scope_for(actor).contains_path(village.path):
        raise ValidationFailed(
            "canteen_out_of_scope",
            "该村（社区）不在您的管辖范围内。",
            "That village or community is outside your area.",
        )
    if canteen.kind == CanteenKind.CENTRAL_KITCHEN and canteen.seats:
        raise ValidationFailed(
            "central_kitchen_seats",
            "中央厨房只配送，不设座位。",
            "A central kitchen only delivers and has no seats.",
        )
    if canteen.status == CanteenStatus.OPEN and canteen.opened_on is None:
        raise ValidationFailed(
            "opening_date_required",
            "开业的食堂需要填写开业日期。",
            "An open canteen needs its opening date.",
        )
    if not (121.0 <= canteen.lon <= 123.5 and 29.3 <= canteen.lat <= 31.2):
        raise ValidationFailed(
            "canteen_point_outside_city",
            "坐标不在舟山市范围内。",
            "The coordinates are outside Zhoushan.",
        )
    # The island always follows the village, so island queries need no join.
    assert village.island_id is not None
    canteen.island_id = village.island_id


@transaction.atomic
def canteen_save(
    *,
    actor: Any,
    canteen: Canteen,
    tags: list[ServiceTag] | None = None,
) -> Canteen:
    """Create or update a canteen (admin forms and the demo go through here)."""
    require_cap(actor, Cap.CANTEEN_EDIT, "登记或修改食堂", "register or change canteens")
    before = None
    if canteen.pk:
        current = (
            Canteen.objects.select_for_update()
            .filter(scope_for(actor).canteen_q(), pk=canteen.pk)
            .first()
        )
        if current is None:
            raise NotFound("食堂", "canteen")
        before = snapshot(current, CANTEEN_FIELDS)
    _check_canteen(actor, canteen)
    canteen.save()
    if tags is not None:
        canteen.tags.set(tags)
    after = snapshot(canteen, CANTEEN_FIELDS) | {
        "tags": sorted(tag.code for tag in canteen.tags.all())
    }
    audit_record(
        actor=actor,
        action="canteen.update" if before else "canteen.create",
        target=canteen,
        before=before,
        after=after,
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return canteen


@transaction.atomic
def meal_session_set(
    *, actor: Any, canteen: Canteen, kind: str, starts_at: dt.time, ends_at: dt.time
) -> MealSession:
    require_cap(actor, Cap.CANTEEN_EDIT, "修改供餐时段", "change meal sessions")
    canteen = _canteen_in_scope(actor, canteen.pk)
    if ends_at <= starts_at:
        raise ValidationFailed(
            "session_window_invalid",
            "供餐结束时间必须晚于开始时间。",
            "A meal session must end after it starts.",
        )
    session = MealSession.objects.filter(canteen=canteen, kind=kind).first()
    before = snapshot(session, ("kind", "starts_at", "ends_at")) if session else None
    session, _created = MealSession.objects.update_or_create(
        canteen=canteen, kind=kind, defaults={"starts_at": starts_at, "ends_at": ends_at}
    )
    audit_record(
        actor=actor,
        action="canteen.session_set",
        target=canteen,
        before=before,
        after=snapshot(session, ("kind", "starts_at", "ends_at")),
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return session


def _canteen_in_scope(actor: Any, canteen_id: int) -> Canteen:
    canteen = (
        Canteen.objects.select_related("village")
        .filter(scope_for(actor).canteen_q(), pk=canteen_id)
        .first()
    )
    if canteen is None:
        raise NotFound("食堂", "canteen")
    return canteen


@dataclass(frozen=True)
class IssuedCredential:
    terminal: Terminal
    credential: str  # shown once; only its hash is kept


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(terminal: Terminal) -> str:
    secret = secrets.token_urlsafe(32)
    terminal.secret_hash = _secret_hash(secret)
    terminal.rotated_at = clock.now()
    return f"{CREDENTIAL_PREFIX}_{terminal.key_id}_{secret}"


@transaction.atomic
def terminal_create(*, actor: Any, canteen: Canteen, name: str) -> IssuedCredential:
    require_cap(actor, Cap.TERMINAL_MANAGE, "管理收银终端", "manage terminals")
    canteen = _canteen_in_scope(actor, canteen.pk)
    name = name.strip()
    if not name:
        raise ValidationFailed("terminal_name_required", "请填写终端名称。", "Name the terminal.")
    if canteen.terminals.filter(name=name).exists():
        raise ValidationFailed(
            "terminal_name_taken",
            "本食堂已有同名终端。",
            "This canteen already has a terminal with that name.",
        )
    terminal = Terminal(canteen=canteen, name=name, key_id=secrets.token_hex(6))
    credential = _new_secret(terminal)
    terminal.save()
    audit_record(
        actor=actor,
        action="terminal.create",
        target=terminal,
        after=snapshot(terminal, TERMINAL_FIELDS),
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return IssuedCredential(terminal, credential)


def _terminal_locked(actor: Any, terminal_id: int) -> Terminal:
    terminal = (
        Terminal.objects.select_for_update()
        .select_related("canteen__village")
        .filter(scope_for(actor).canteen_q("canteen__"), pk=terminal_id)
        .first()
    )
    if terminal is None:
        raise NotFound("终端", "terminal")
    return terminal


@transaction.atomic
def terminal_rotate(*, actor: Any, terminal: Terminal) -> IssuedCredential:
    """Issue a new credential; the old one stops working at once."""
    require_cap(actor, Cap.TERMINAL_MANAGE, "管理收银终端", "manage terminals")
    terminal = _terminal_locked(actor, terminal.pk)
    if terminal.status == TerminalStatus.REVOKED:
        raise ValidationFailed(
            "terminal_revoked",
            "该终端已停用，不能更换密钥。",
            "This terminal is revoked; its credential cannot be renewed.",
        )
    before = snapshot(terminal, TERMINAL_FIELDS)
    credential = _new_secret(terminal)
    terminal.previous_secret_hash, terminal.previous_valid_until = "", None
    terminal.save(
        update_fields=["secret_hash", "rotated_at", "previous_secret_hash", "previous_valid_until"]
    )
    audit_record(
        actor=actor,
        action="terminal.rotate",
        target=terminal,
        before=before,
        after=snapshot(terminal, TERMINAL_FIELDS),
        scope_path=terminal.canteen.village.path,
        canteen_id=terminal.canteen_id,
    )
    return IssuedCredential(terminal, credential)


# The credential a counter's renewal replaces keeps working this long, so that no sale in
# flight is refused (the counter renews when `counter_today` says it is due).
RENEW_GRACE = dt.timedelta(minutes=30)


@transaction.atomic
def terminal_renew(*, presented: PresentedTerminal) -> IssuedCredential:
    """A counter's new credential, asked for with its current one (not the one it replaced:
    that would hand a credential in its grace period a fresh one). Sales go on: the replaced
    credential works for RENEW_GRACE more."""
    terminal = terminal_authenticate(presented)
    locked = (
        Terminal.objects.select_for_update().select_related("canteen__village").get(pk=terminal.pk)
    )
    if not hmac.compare_digest(locked.secret_hash, presented.secret_hash):
        raise TerminalAuthError(
            "terminal_credential_replaced",
            "该终端凭证已更换，请使用新凭证。",
            "This credential has been replaced; use the new one.",
        )
    locked.previous_secret_hash = locked.secret_hash
    locked.previous_valid_until = clock.now() + RENEW_GRACE
    credential = _new_secret(locked)
    locked.save(
        update_fields=["secret_hash", "rotated_at", "previous_secret_hash", "previous_valid_until"]
    )
    audit_record(
        actor=None,
        actor_label=f"terminal:{locked.key_id}",
        action="terminal.renew",
        target=locked,
        after=snapshot(locked, ("rotated_at", "previous_valid_until")),
        scope_path=locked.canteen.village.path,
        canteen_id=locked.canteen_id,
    )
    return IssuedCredential(locked, credential)


@transaction.atomic
def terminal_revoke(*, actor: Any, terminal: Terminal, reason: str) -> Terminal:
    require_cap(actor, Cap.TERMINAL_MANAGE, "管理收银终端", "manage terminals")
    terminal = _terminal_locked(actor, terminal.pk)
    if terminal.status == TerminalStatus.REVOKED:
        return terminal
    before = snapshot(terminal, TERMINAL_FIELDS)
    terminal.status = TerminalStatus.REVOKED
    terminal.revoked_at = clock.now()
    terminal.revoked_reason = reason.strip()[:120]
    terminal.save(update_fields=["status", "revoked_at", "revoked_reason"])
    audit_record(
        actor=actor,
        action="terminal.revoke",
        target=terminal,
        before=before,
        after=snapshot(terminal, TERMINAL_FIELDS) | {"reason": terminal.revoked_reason},
        scope_path=terminal.canteen.village.path,
        canteen_id=terminal.canteen_id,
    )
    return terminal


class TerminalAuthError(DomainError):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code=code, message_zh=zh, message_en=en, status=401)


def _read_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """A model's fields for a hand-written SELECT, leaving out date-times: read raw they
    would lack the time zone the ORM adds, so they stay deferred (loaded if ever touched)."""
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.DateTimeField)]


_TERMINAL_READ = _read_fields(Terminal)
_CANTEEN_READ = _read_fields(Canteen)
_TERMINAL_FIELDS = [f.attname for f in _TERMINAL_READ]
_CANTEEN_FIELDS = [f.attname for f in _CANTEEN_READ]
TERMINAL_COLUMN_COUNT = len(_TERMINAL_FIELDS) + len(_CANTEEN_FIELDS)


def terminal_columns(terminal_alias: str, canteen_alias: str) -> str:
    """The columns `terminal_verify` reads, for a SELECT joining a terminal and its canteen
    under these aliases (the checkout reads them with the sale's facts)."""
    return ", ".join(
        [f'{terminal_alias}."{f.column}"' for f in _TERMINAL_READ]
        + [f'{canteen_alias}."{f.column}"' for f in _CANTEEN_READ]
    )


_AUTHENTICATE = (
    f"SELECT {terminal_columns('t', 'c')} FROM canteens_terminal t "  # noqa: S608
    "JOIN canteens_canteen c ON c.id = t.canteen_id WHERE t.key_id = %(key_id)s"
)


@dataclass
class PresentedTerminal:
    """A terminal credential as a request presents it, checked for its form only. It is
    verified against the database by `terminal_authenticate`, or, for a card sale, by the
    sale's own read (one round trip fewer on the counter's busiest call)."""

    credential: str
    key_id: str
    secret_hash: str
    verified: Terminal | None = None


def terminal_presented(credential: str) -> PresentedTerminal:
    parts = credential.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != CREDENTIAL_PREFIX:
        raise TerminalAuthError(
            "terminal_credential_malformed",
            "终端凭证格式不正确。",
            "Malformed terminal credential.",
        )
    return PresentedTerminal(credential, parts[1], _secret_hash(parts[2]))


def _credential_matches(terminal: Terminal, presented: PresentedTerminal) -> bool:
    if hmac.compare_digest(terminal.secret_hash, presented.secret_hash):
        return True
    # The credential a renewal replaced, in its grace period (read only in this rare case:
    # date-times are not in the checkout's read).
    return (
        bool(terminal.previous_secret_hash)
        and hmac.compare_digest(terminal.previous_secret_hash, presented.secret_hash)
        and terminal.previous_valid_until is not None
        and clock.now() < terminal.previous_valid_until
    )


def terminal_verify(presented: PresentedTerminal, row: tuple[Any, ...] | None) -> Terminal:
    """The active terminal (with its canteen) that `row` (read with `terminal_columns`, or
    None when no terminal has the key id) shows the presented credential to be, or refuse."""
    terminal = None
    if row is not None:
        split = len(_TERMINAL_FIELDS)
        terminal = Terminal.from_db(DEFAULT_DB_ALIAS, _TERMINAL_FIELDS, row[:split])
        terminal.canteen = Canteen.from_db(
            DEFAULT_DB_ALIAS, _CANTEEN_FIELDS, row[split:TERMINAL_COLUMN_COUNT]
        )
    if terminal is None or not _credential_matches(terminal, presented):
        raise TerminalAuthError(
            "terminal_credential_invalid", "终端凭证无效。", "Invalid terminal credential."
        )
    if terminal.status != TerminalStatus.ACTIVE:
        raise TerminalAuthError(
            "terminal_revoked", "该终端已停用。", "This terminal has been revoked."
        )
    presented.verified = terminal
    return terminal


def terminal_authenticate(credential: str | PresentedTerminal) -> Terminal:
    """Resolve a presented credential to its active terminal (with its canteen), or refuse."""
    presented = (
        credential if isinstance(credential, PresentedTerminal) else terminal_presented(credential)
    )
    if presented.verified is not None:
        return presented.verified
    return terminal_verify(presented, sql.fetch_one(_AUTHENTICATE, {"key_id": presented.key_id}))


# The terminals of sales no device makes: keyed in by staff, charged on delivery.
BACK_OFFICE_TERMINAL = "管理后台"
DELIVERY_TERMINAL = "送餐到户"


def service_terminal(canteen: Canteen, name: str) -> Terminal:
    """Sales keyed in by staff or charged on delivery go through the same checkout as a
    counter device, on a terminal row of their own that no device can authenticate as (its
    secret is unusable)."""
    terminal, _created = Terminal.objects.get_or_create(
        canteen=canteen,
        name=name,
        defaults={"key_id": secrets.token_hex(6), "secret_hash": UNUSABLE_SECRET},
    )
    terminal.canteen = canteen  # the sale reads it (may it sell?): no second query
    return terminal


def operator_for(*, name: str, credit_code: str, contact_name: str, contact_phone: str) -> Operator:
    """The operator of this name, registered on first use (an accepted application's)."""
    operator, _created = Operator.objects.get_or_create(
        name=name,
        defaults={
            "credit_code": credit_code,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
        },
    )
    return operator


@transaction.atomic
def canteen_status_set(*, actor: Any, canteen_id: int, status: str, reason: str) -> Canteen:
    """Suspend, reopen or close a canteen, saying why (the counter and the booking page say
    it too)."""
    require_cap(actor, Cap.CANTEEN_EDIT, "暂停或恢复食堂", "suspend or reopen canteens")
    canteen = _canteen_in_scope(actor, canteen_id)
    if status not in CanteenStatus.values or not reason.strip():
        raise ValidationFailed(
            "canteen_status_invalid", "请选择状态并填写原因。", "Choose a status and give a reason."
        )
    before = snapshot(canteen, ("status", "status_reason"))
    canteen.status, canteen.status_reason = status, reason.strip()[:200]
    if status == CanteenStatus.OPEN:
        canteen.status_reason = ""
        canteen.opened_on = canteen.opened_on or clock.today()
    canteen.save(update_fields=["status", "status_reason", "opened_on", "updated_at"])
    audit_record(
        actor=actor,
        action="canteen.status",
        target=canteen,
        before=before,
        after=snapshot(canteen, ("status", "status_reason")) | {"reason": reason.strip()[:200]},
        scope_path=canteen.village.path,
        canteen_id=canteen.pk,
    )
    return canteen


@transaction.atomic
def dish_stop(*, actor: Any, dish_id: int, reason: str) -> Dish:
    """Take a dish off sale at once (it stays on past menus and sales)."""
    require_cap(actor, Cap.CANTEEN_EDIT, "停售菜品", "stop a dish")
    dish = (
        Dish.objects.select_for_update()
        .select_related("canteen__village")
        .filter(scope_for(actor).canteen_q("canteen__"), pk=dish_id)
        .first()
    )
    if dish is None:
        raise NotFound("菜品", "dish")
    dish.is_active = False
    dish.save(update_fields=["is_active"])
    MenuItem.objects.filter(dish=dish, menu__date__gte=clock.today()).delete()
    audit_record(
        actor=actor,
        action="canteen.dish_stop",
        target=dish,
        after={"reason": reason.strip()[:200]},
        scope_path=dish.canteen.village.path,
        canteen_id=dish.canteen_id,
    )
    return dish


def refuse_unless_selling(canteen: Canteen, day: dt.date) -> None:
    """A canteen sells only once accepted (open) and while its food business licence holds."""
    if canteen.status != CanteenStatus.OPEN:
        reason = f"（{canteen.status_reason}）" if canteen.status_reason else ""
        raise Conflict(
            "canteen_not_selling",
            f"本食堂{canteen.get_status_display()}{reason}，暂不能售餐。",
            f"This canteen is {canteen.status}; it cannot sell meals now.",
        )
    if canteen.licence_expires_on is not None and canteen.licence_expires_on < day:
        raise Conflict(
            "canteen_licence_expired",
            f"本食堂的食品经营许可证已于{canteen.licence_expires_on:%Y年%m月%d日}到期，"
            "续证前不能售餐，请联系食堂负责人。",
            "This canteen's food business licence has expired; it cannot sell until renewed.",
        )


def menu_save(*, actor: Any, obj: Any, canteen: Canteen) -> Any:
    """Dishes and daily menus, kept by the canteen's manager (or the bureau)."""
    if not Canteen.objects.filter(scope_for(actor).canteen_q(), pk=canteen.pk).exists():
        raise NotFound("食堂", "canteen")
    if isinstance(obj, MenuItem) and obj.dish.canteen_id != obj.menu.canteen_id:
        raise ValidationFailed(
            "dish_of_another_canteen",
            "菜单只能包含本食堂的菜品。",
            "A menu holds only its own canteen's dishes.",
        )
    fields = [f.name for f in obj._meta.concrete_fields if f.name != "id"]
    return reference_save(
        actor=actor, obj=obj, fields=fields, cap=Cap.MENU_EDIT, scope_path=canteen.village.path
    )
