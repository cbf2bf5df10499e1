"""Signing in to an elder's page without a password: one-time codes issued by the community
worker (or by a linked family member), rate-limited, single use, expiring."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongzhou.access.roles import Cap
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.audit.services import audit_record
from tongzhou.core import clock, crypto
from tongzhou.core.errors import DomainError, NotFound, ValidationFailed
from tongzhou.core.text import ascii_folded
from tongzhou.elders.models import Elder
from tongzhou.elders.selectors import require_elder_in_scope
from tongzhou.portal.models import AccessGrant, GrantKind, SignInCode
from tongzhou.throttle.services import Rule, guarded

CODE_DIGITS = 8
CODE_LIFETIME = dt.timedelta(hours=24)
# Five wrong codes from one client within 15 minutes pause it for 15 minutes.
SIGN_IN_RULE = Rule(
    code="sign_in_rate_limited",
    limit=5,
    window=dt.timedelta(minutes=15),
    lockout=dt.timedelta(minutes=15),
    message_zh="尝试次数过多，请15分钟后再试，或联系社区工作人员。",
    message_en="Too many attempts. Try again in 15 minutes or ask the community worker.",
)


def _hash(code: str) -> str:
    return crypto.lookup_hash(code, purpose="portal-sign-in")


@dataclass(frozen=True)
class IssuedCode:
    grant: AccessGrant
    code: str
    expires_at: dt.datetime


def _issue(grant: AccessGrant) -> IssuedCode:
    expires = clock.now() + CODE_LIFETIME
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not SignInCode.objects.filter(code_hash=_hash(code)).exists():
            break
    SignInCode.objects.create(grant=grant, code_hash=_hash(code), expires_at=expires)
    return IssuedCode(grant, code, expires)


@transaction.atomic
def grant_and_code(*, actor: Any, elder: Elder, kind: str, holder_name: str) -> IssuedCode:
    """A community worker links the elder or a family member and hands over a code."""
    require_cap(actor, Cap.ELDER_EDIT, "开通老人页面", "give access to an elder's page")
    require_elder_in_scope(actor=actor, elder=elder)
    if kind not in GrantKind.values or not holder_name.strip():
        raise ValidationFailed(
            "grant_invalid", "请填写使用人及其身份。", "Name the person and who they are."
        )
    grant = AccessGrant.objects.create(
        elder=elder, kind=kind, holder_name=holder_name.strip()[:40], created_by=actor
    )
    issued = _issue(grant)
    audit_record(
        actor=actor,
        action="portal.grant",
        target=elder,
        after={"kind": kind, "holder": grant.holder_name},
        scope_path=elder.residence.path,
    )
    return issued


@transaction.atomic
def code_for_family(*, grant: AccessGrant, holder_name: str) -> IssuedCode:
    """A signed-in elder (or linked family member) links another family member."""
    if grant.revoked_at is not None:
        raise DomainError(code="grant_revoked", message_zh="访问已停用。",
                          message_en="Access was revoked.", status=403)  # fmt: skip
    family = AccessGrant.objects.create(
        elder=grant.elder, kind=GrantKind.FAMILY, holder_name=holder_name.strip()[:40]
    )
    issued = _issue(family)
    audit_record(
        actor=None,
        actor_label=f"portal:{grant.pk}",
        action="portal.family_link",
        target=grant.elder,
        after={"holder": family.holder_name, "linked_by": grant.holder_name},
        scope_path=grant.elder.residence.path,
    )
    return issued


class SignInRefused(DomainError):
    pass


def sign_in(*, code: str, client: str) -> AccessGrant:
    """Exchange a one-time code for access. Failures are counted per client in the shared
    database (every worker sees them) and the client is paused after five."""
    with guarded(f"portal-sign-in:{client}", SIGN_IN_RULE) as guard:
        found = (
            SignInCode.objects.select_for_update()
            .select_related("grant__elder")
            .filter(code_hash=_hash(ascii_folded(code)), used_at__isnull=True)
            .first()
        )
        now = clock.now()
        if found is None or found.expires_at < now or found.grant.revoked_at is not None:
            guard.failed()
            found = None
        else:
            found.used_at = now
            found.save(update_fields=["used_at"])
            guard.succeeded()
    if found is None:  # answered once the failure is counted (committed)
        raise SignInRefused(
            code="sign_in_code_invalid",
            message_zh="验证码不正确或已过期，请向社区工作人员或家人重新获取。",
            message_en="The code is wrong or has expired; ask for a new one.",
            status=403,
        )
    return found.grant


@transaction.atomic
def grant_revoke(*, actor: Any, grant: AccessGrant) -> AccessGrant:
    """A lost phone, a family falling out: the access ends at once, sessions included."""
    require_cap(actor, Cap.ELDER_EDIT, "停用页面授权", "revoke page access")
    in_scope = AccessGrant.objects.filter(
        scope_for(actor).region_q("elder__residence__path"), pk=grant.pk
    ).select_related("elder__residence")
    found = in_scope.first()
    if found is None:
        raise NotFound("授权", "access")
    if found.revoked_at is None:
        found.revoked_at = clock.now()
        found.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="portal.revoke",
            target=found.elder,
            after={"holder": found.holder_name},
            scope_path=found.elder.residence.path,
        )
    return found
