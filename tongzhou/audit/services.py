"""The single way to write an audit event. Callers are services already inside a transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction

from tongzhou.access.scope import require_cap
from tongzhou.audit.models import AuditEvent
from tongzhou.core.context import current_request_id


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """A JSON-safe picture of the named fields; foreign keys by id."""
    result: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _jsonable(getattr(instance, attname))
    return result


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    scope_path: str = "",
    canteen_id: int | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=actor_label or getattr(actor, "username", None) or "system",
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        scope_path=scope_path,
        canteen_id=canteen_id,
        before=before,
        after=after,
        request_id=current_request_id(),
    )


def reference_save(
    *, actor: Any, obj: models.Model, fields: Iterable[str], cap: Any, scope_path: str
) -> models.Model:
    """Save a small reference row (operator, tag, category) with its audit event."""
    fields = tuple(fields)
    require_cap(actor, cap, "修改基础数据", "change reference data")
    with transaction.atomic():
        before = None
        if obj.pk is not None:
            current = type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
            before = snapshot(current, fields) if current is not None else None
        obj.save()
        audit_record(
            actor=actor,
            action=f"{obj._meta.model_name}.{'update' if before else 'create'}",
            target=obj,
            before=before,
            after=snapshot(obj, fields),
            scope_path=scope_path,
        )
    return obj
