"""Admin pages scoped by role: every list and form shows only the user's area, and every save
goes through the domain services (so it is validated, scoped and audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.core.errors import DomainError


class ScopedAdmin(admin.ModelAdmin):
    view_cap: Cap = Cap.CANTEEN_VIEW
    add_cap: Cap | None = None
    change_cap: Cap | None = None

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scoped_queryset(request)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # An object outside the user's area answers 404, exactly like one that does not exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_cap(request.user, self.view_cap)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_cap(request.user, self.view_cap)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.add_cap is not None and has_cap(request.user, self.add_cap)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.change_cap is not None and has_cap(request.user, self.change_cap)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # records end by status, never by deletion

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def report(self, request: HttpRequest, error: DomainError) -> None:
        self.message_user(request, error.message(), level=messages.ERROR)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        # A service refusing a save (the admin's transaction has rolled back) is shown as a
        # message on the same page rather than as a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.report(request, error)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(ScopedAdmin):
    """Reference data everyone signed in may read; changed only by its loader."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReferenceAdmin(ReadOnlyAdmin):
    """Public reference data (regions, islands): readable by every staff member."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_authenticated and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_authenticated and request.user.is_staff)


def form_for_actor(form: type[Any], actor: Any) -> type[Any]:
    """A per-request form class carrying the acting user, so fields and checks can scope."""
    return type(form.__name__, (form,), {"actor": actor})
