from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin, form_for_actor
from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import scope_for
from tongzhou.accounts import services
from tongzhou.accounts.models import User
from tongzhou.accounts.selectors import users_visible_to
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import DomainError
from tongzhou.geo.models import Region

admin.site.site_header = _("Tongzhou · Zhoushan elderly meal and care platform")
admin.site.site_title = _("Tongzhou back office")
admin.site.index_title = _("Back office")
admin.site.site_url = "/"


class UserForm(forms.ModelForm):
    actor: Any = None
    password1 = forms.CharField(
        label=_("password"), widget=forms.PasswordInput, required=False, strip=False
    )
    password2 = forms.CharField(
        label=_("password (again)"), widget=forms.PasswordInput, required=False, strip=False
    )

    class Meta:
        model = User
        fields = ("username", "full_name", "phone", "role", "region", "canteen", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(self.actor)
        if "region" in self.fields:
            self.fields["region"].queryset = Region.objects.filter(  # type: ignore[attr-defined]
                scope.region_q("path")
            )
        if "canteen" in self.fields:
            self.fields["canteen"].queryset = Canteen.objects.filter(scope.canteen_q())  # type: ignore[attr-defined]
        if self.instance.pk:
            for name in ("username", "password1", "password2"):
                self.fields.pop(name, None)

    def assignment(self) -> services.Assignment:
        data = self.cleaned_data
        return services.Assignment(
            role=Role(data.get("role") or ""),
            region=data.get("region"),
            canteen=data.get("canteen"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        if self.errors:
            return data
        try:
            services.check_assignment(self.actor, self.assignment())
        except DomainError as error:
            raise forms.ValidationError(error.message()) from None
        return data

    def _post_clean(self) -> None:
        # The role/place consistency is checked by the service; skip the model's own
        # constraint validation so the user sees our clearer message.
        pass


# Django builds the password form itself, so the acting user reaches it through the context.
_password_actor: ContextVar[Any] = ContextVar("password_actor", default=None)


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        return services.user_set_password(
            actor=_password_actor.get(), user=self.user, password=self.cleaned_data["password1"]
        )


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    view_cap = Cap.USER_VIEW
    add_cap = Cap.USER_MANAGE
    change_cap = Cap.USER_MANAGE
    form = UserForm
    add_form = UserForm
    change_password_form = AuditedPasswordChangeForm
    list_display = ("username", "full_name", "role", "region", "canteen", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name")
    list_select_related = ("region", "canteen")
    ordering = ("username",)
    filter_horizontal = ()
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2")}),
        (_("Role and place"), {"fields": ("full_name", "phone", "role", "region", "canteen")}),
    )
    fieldsets = (
        (None, {"fields": ("full_name", "phone", "is_active")}),
        (_("Role and place"), {"fields": ("role", "region", "canteen")}),
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return users_visible_to(request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = UserForm
        kwargs["fields"] = None
        form = super(DjangoUserAdmin, self).get_form(request, obj, change=change, **kwargs)
        return form_for_actor(form, request.user)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data.get("password1") or None,
                assignment=form.assignment(),
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
            )
            obj.pk = created.pk
            form.instance = created
            return
        assignment_changed = {"role", "region", "canteen"} & set(form.changed_data)
        services.user_update(
            actor=request.user,
            user=obj,
            assignment=form.assignment() if assignment_changed else None,
            full_name=data.get("full_name"),
            phone=data.get("phone"),
            is_active=data.get("is_active"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no groups or per-user permissions: roles decide

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        self.get_object(request, id)  # 404 outside the user's area
        token = _password_actor.set(request.user)
        try:
            with transaction.atomic():
                return super().user_change_password(request, id, form_url)
        except DomainError as error:
            self.report(request, error)
            return HttpResponseRedirect(request.get_full_path())
        finally:
            _password_actor.reset(token)
