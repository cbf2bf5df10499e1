"""Accounts: creating and changing the people who sign in, within the creator's own area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from tongzhou.access.roles import CANTEEN_ROLES, GRANTABLE, REGION_ROLES, ROLE_LEVEL, Cap, Role
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.accounts.models import User
from tongzhou.accounts.selectors import users_visible_to
from tongzhou.audit.services import audit_record, snapshot
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import NotFound, PermissionDenied, ValidationFailed
from tongzhou.core.masking import mask_phone
from tongzhou.geo.models import Region

USER_FIELDS = ("username", "full_name", "role", "region", "canteen", "is_active", "is_staff")


@dataclass
class Assignment:
    role: Role
    region: Region | None = None
    canteen: Canteen | None = None


def _user_snapshot(user: User) -> dict[str, Any]:
    return snapshot(user, USER_FIELDS) | {"phone": mask_phone(user.phone)}


def _place_path(assignment: Assignment) -> str:
    if assignment.region is not None:
        return assignment.region.path
    if assignment.canteen is not None:
        return assignment.canteen.village.path
    return ""


def check_assignment(actor: Any, assignment: Assignment) -> None:
    """The actor may grant this role, and the place lies inside the actor's own area."""
    role = assignment.role
    if role in REGION_ROLES:
        if assignment.region is None or assignment.canteen is not None:
            raise ValidationFailed(
                "role_needs_region",
                "该角色需要绑定一个行政区域（不绑定食堂）。",
                "This role is bound to a region, not a canteen.",
            )
        level = ROLE_LEVEL.get(role)
        if level is not None and assignment.region.level != level:
            raise ValidationFailed(
                "role_region_level",
                "角色与区域层级不符（如镇街干部须绑定镇街）。",
                "The region's level does not match the role (a town officer needs a town).",
            )
    elif role in CANTEEN_ROLES:
        if assignment.canteen is None or assignment.region is not None:
            raise ValidationFailed(
                "role_needs_canteen",
                "该角色需要绑定一个食堂（不绑定区域）。",
                "This role is bound to a canteen, not a region.",
            )
    elif assignment.region is not None or assignment.canteen is not None:
        raise ValidationFailed(
            "role_none_unbound",
            "未分配角色的账号不能绑定区域或食堂。",
            "An account without a role has no region or canteen.",
        )
    if getattr(actor, "is_superuser", False):
        return
    if role not in GRANTABLE.get(Role(actor.role), frozenset()):
        raise PermissionDenied("授予该角色", "grant this role")
    scope = scope_for(actor)
    if assignment.canteen is not None and scope.canteen_id is not None:
        inside = assignment.canteen.pk == scope.canteen_id
    else:
        inside = bool(_place_path(assignment)) and scope.contains_path(_place_path(assignment))
    if not inside:
        raise ValidationFailed(
            "place_out_of_scope",
            "所选区域或食堂不在您的管辖范围内。",
            "That region or canteen is outside your area.",
        )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationFailed(
            "password_weak",
            "密码太简单：" + "；".join(error.messages),
            "The password is too weak: " + "; ".join(error.messages),
        ) from None


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None,
    assignment: Assignment,
    full_name: str = "",
    phone: str = "",
) -> User:
    require_cap(actor, Cap.USER_MANAGE, "创建账号", "create accounts")
    check_assignment(actor, assignment)
    username = username.strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            "username_taken", "用户名为空或已被占用。", "The username is empty or already taken."
        )
    user = User(
        username=username,
        full_name=full_name.strip(),
        phone=phone.strip(),
        role=assignment.role,
        region=assignment.region,
        canteen=assignment.canteen,
        is_staff=assignment.role != Role.NONE,
    )
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        target=user,
        after=_user_snapshot(user),
        scope_path=_place_path(assignment),
        canteen_id=user.canteen_id,
    )
    return user


def _user_locked(actor: Any, user_id: int) -> User:
    user = users_visible_to(actor).select_for_update(of=("self",)).filter(pk=user_id).first()
    if user is None:
        raise NotFound("账号", "account")
    return user


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    assignment: Assignment | None = None,
    full_name: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
) -> User:
    require_cap(actor, Cap.USER_MANAGE, "修改账号", "change accounts")
    user = _user_locked(actor, user.pk)
    if user.pk == actor.pk and (assignment is not None or is_active is False):
        raise ValidationFailed(
            "self_change_forbidden",
            "不能修改自己的角色或停用自己的账号。",
            "You cannot change your own role or deactivate yourself.",
        )
    before = _user_snapshot(user)
    # The account as it stands must be one the actor could have created.
    check_assignment(actor, Assignment(Role(user.role), user.region, user.canteen))
    if assignment is not None:
        check_assignment(actor, assignment)
        user.role, user.region, user.canteen = (
            assignment.role,
            assignment.region,
            assignment.canteen,
        )
        user.is_staff = assignment.role != Role.NONE
    if full_name is not None:
        user.full_name = full_name.strip()
    if phone is not None:
        user.phone = phone.strip()
    if is_active is not None:
        user.is_active = is_active
    user.save()
    after = _user_snapshot(user)
    changed = {k for k in after if after[k] != before[k]}
    audit_record(
        actor=actor,
        action="user.update",
        target=user,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        scope_path=_place_path(Assignment(Role(user.role), user.region, user.canteen)),
        canteen_id=user.canteen_id,
    )
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> User:
    if actor.pk != user.pk:
        require_cap(actor, Cap.USER_MANAGE, "重置密码", "reset passwords")
        user = _user_locked(actor, user.pk)
        check_assignment(actor, Assignment(Role(user.role), user.region, user.canteen))
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="user.password",
        target=user,
        after={"password": "changed"},
        scope_path=_place_path(Assignment(Role(user.role), user.region, user.canteen)),
        canteen_id=user.canteen_id,
    )
    return user
