from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tongzhou.access.admin_base import ReadOnlyAdmin
from tongzhou.access.roles import Cap
from tongzhou.audit.models import AuditEvent
from tongzhou.audit.selectors import events_visible_to


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    view_cap = Cap.AUDIT_VIEW
    list_display = ("occurred_at", "actor_label", "action", "object_repr", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_label", "request_id", "object_id")
    date_hierarchy = "occurred_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return events_visible_to(request.user)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.readonly_fields)
