from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.audit.models import AuditEvent


def events_visible_to(actor: Any) -> QuerySet[AuditEvent]:
    """Events about things inside the actor's area (by the region path recorded with each)."""
    if not has_cap(actor, Cap.AUDIT_VIEW):
        return AuditEvent.objects.none()
    scope = scope_for(actor)
    if scope.everything:
        return AuditEvent.objects.all()
    if scope.region_path is not None:
        return AuditEvent.objects.filter(scope_path__startswith=scope.region_path)
    return AuditEvent.objects.none()
