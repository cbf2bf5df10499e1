from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin, form_for_actor
from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.audit.services import reference_save
from tongzhou.canteens import services
from tongzhou.canteens.models import (
    Canteen,
    Dish,
    MealSession,
    Menu,
    MenuItem,
    Operator,
    ServiceTag,
    Terminal,
)
from tongzhou.canteens.selectors import (
    canteens_visible_to,
    dishes_visible_to,
    menus_visible_to,
    terminals_visible_to,
)
from tongzhou.core.errors import DomainError
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_path


class MealSessionInline(admin.TabularInline):
    model = MealSession
    extra = 0
    fields = ("kind", "starts_at", "ends_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.CANTEEN_EDIT)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.CANTEEN_EDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.CANTEEN_VIEW)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CanteenForm(forms.ModelForm):
    actor: Any = None
    kitchen_camera_url = forms.URLField(
        label=_("kitchen camera (明厨亮灶) link"), required=False, assume_scheme="https"
    )

    class Meta:
        model = Canteen
        fields = (
            "code",
            "name",
            "kind",
            "operator",
            "village",
            "address",
            "lon",
            "lat",
            "seats",
            "tags",
            "status",
            "opened_on",
            "open_amount_max_fen",
            "licence_no",
            "licence_expires_on",
            "kitchen_camera_url",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "village" in self.fields:
            villages = Region.objects.filter(level=RegionLevel.VILLAGE).filter(
                scope_for(self.actor).region_q("path")
            )
            self.fields["village"].queryset = villages.select_related("parent")  # type: ignore[attr-defined]


@admin.register(Canteen)
class CanteenAdmin(ScopedAdmin):
    view_cap = Cap.CANTEEN_VIEW
    add_cap = Cap.CANTEEN_EDIT
    change_cap = Cap.CANTEEN_EDIT
    form = CanteenForm
    list_display = ("code", "name", "kind", "village", "island", "status", "seats", "opened_on")
    list_filter = ("kind", "status", "island")
    search_fields = ("name", "code", "address")
    list_select_related = ("village", "island")
    filter_horizontal = ("tags",)
    inlines = (MealSessionInline,)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Canteen]:
        return canteens_visible_to(request.user).select_related("village", "island", "operator")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return form_for_actor(form, request.user)

    def save_model(self, request: HttpRequest, obj: Canteen, form: Any, change: bool) -> None:
        services.canteen_save(actor=request.user, canteen=obj, tags=list(form.cleaned_data["tags"]))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags were set by the service; sessions go through it one by one.
        for formset in formsets:
            # The admin's change message reads what formset.save() would have recorded.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for session_form in formset.forms:
                data = session_form.cleaned_data
                if not data or not session_form.has_changed():
                    continue
                services.meal_session_set(
                    actor=request.user,
                    canteen=form.instance,
                    kind=data["kind"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )


class TerminalForm(forms.ModelForm):
    actor: Any = None

    class Meta:
        model = Terminal
        fields = ("canteen", "name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "canteen" in self.fields:
            self.fields["canteen"].queryset = Canteen.objects.filter(  # type: ignore[attr-defined]
                scope_for(self.actor).canteen_q()
            )


@admin.register(Terminal)
class TerminalAdmin(ScopedAdmin):
    view_cap = Cap.TERMINAL_MANAGE
    add_cap = Cap.TERMINAL_MANAGE
    form = TerminalForm
    list_display = (
        "name",
        "canteen",
        "key_id",
        "status",
        "rotated_at",
        "revoked_at",
        "last_seen_at",
    )
    list_filter = ("status",)
    search_fields = ("name", "key_id", "canteen__name")
    list_select_related = ("canteen",)
    actions = ("rotate_credentials", "revoke_terminals")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Terminal]:
        return terminals_visible_to(request.user).select_related("canteen")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return form_for_actor(form, request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return (
                "canteen",
                "name",
                "key_id",
                "status",
                "rotated_at",
                "revoked_at",
                "revoked_reason",
            )
        return ()

    def save_model(self, request: HttpRequest, obj: Terminal, form: Any, change: bool) -> None:
        issued = services.terminal_create(actor=request.user, canteen=obj.canteen, name=obj.name)
        form.instance = issued.terminal
        obj.pk = issued.terminal.pk
        self._show_credential(request, issued)

    def _show_credential(self, request: HttpRequest, issued: services.IssuedCredential) -> None:
        self.message_user(
            request,
            _("Credential for %(name)s (shown once, enter it on the device now): %(cred)s")
            % {"name": issued.terminal, "cred": issued.credential},
            level=messages.WARNING,
        )

    @admin.action(description=_("Issue new credentials (old ones stop working)"))
    def rotate_credentials(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            try:
                self._show_credential(
                    request, services.terminal_rotate(actor=request.user, terminal=terminal)
                )
            except DomainError as error:
                self.report(request, error)

    @admin.action(description=_("Revoke selected terminals"))
    def revoke_terminals(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset:
            services.terminal_revoke(
                actor=request.user, terminal=terminal, reason=str(_("revoked in the back office"))
            )
        self.message_user(request, _("Revoked %(n)d terminals.") % {"n": queryset.count()})


class ReferenceDataAdmin(ScopedAdmin):
    """Operators and tags: small reference tables edited by the city bureau, audited."""

    view_cap = Cap.CANTEEN_VIEW
    add_cap = Cap.REFERENCE_EDIT
    change_cap = Cap.REFERENCE_EDIT
    audited_fields: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=self.audited_fields,
            cap=self.change_cap if change else self.add_cap,
            scope_path=city_path(),
        )


@admin.register(Operator)
class OperatorAdmin(ReferenceDataAdmin):
    add_cap = Cap.CANTEEN_EDIT
    change_cap = Cap.CANTEEN_EDIT
    list_display = ("name", "credit_code", "contact_name")
    search_fields = ("name", "credit_code")
    audited_fields = ("name", "credit_code", "contact_name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Operator]:
        return Operator.objects.all()


@admin.register(ServiceTag)
class ServiceTagAdmin(ReferenceDataAdmin):
    list_display = ("code", "name_zh", "name_en")
    audited_fields = ("code", "name_zh", "name_en")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[ServiceTag]:
        return ServiceTag.objects.all()


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    extra = 3
    fields = ("dish", "price_fen")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.MENU_EDIT)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.MENU_EDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.CANTEEN_VIEW)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.MENU_EDIT)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # A menu offers the dishes of its own canteen only (of the user's canteens while new).
        formset = super().get_formset(request, obj, **kwargs)
        dishes = dishes_visible_to(request.user)
        if obj is not None:
            dishes = dishes.filter(canteen_id=obj.canteen_id)
        formset.form.base_fields["dish"].queryset = dishes  # type: ignore[attr-defined]
        return formset


class CanteenScopedForm(forms.ModelForm):
    actor: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "canteen" in self.fields:
            self.fields["canteen"].queryset = Canteen.objects.filter(  # type: ignore[attr-defined]
                scope_for(self.actor).canteen_q()
            )


class MenuScopedAdmin(ScopedAdmin):
    view_cap = Cap.CANTEEN_VIEW
    add_cap = Cap.MENU_EDIT
    change_cap = Cap.MENU_EDIT
    form = CanteenScopedForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return form_for_actor(form, request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.menu_save(actor=request.user, obj=obj, canteen=obj.canteen)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for item in formset.save(commit=False):
            services.menu_save(actor=request.user, obj=item, canteen=form.instance.canteen)
        for item in formset.deleted_objects:
            item.delete()


@admin.register(Dish)
class DishAdmin(MenuScopedAdmin):
    list_display = ("name", "canteen", "price_fen", "diet_tags", "is_active")
    list_filter = (("canteen", admin.RelatedOnlyFieldListFilter), "is_active")
    search_fields = ("name",)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Dish]:
        return dishes_visible_to(request.user).select_related("canteen")


@admin.register(Menu)
class MenuAdmin(MenuScopedAdmin):
    list_display = ("date", "session", "canteen")
    list_filter = (("canteen", admin.RelatedOnlyFieldListFilter), "session")
    date_hierarchy = "date"
    inlines = (MenuItemInline,)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Menu]:
        return menus_visible_to(request.user).select_related("canteen")
