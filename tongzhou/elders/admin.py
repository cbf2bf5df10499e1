from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin, form_for_actor
from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.audit.services import reference_save
from tongzhou.core import clock, crypto
from tongzhou.core.errors import DomainError, ValidationFailed
from tongzhou.elders import services
from tongzhou.elders.ages import AGE_BANDS, age_band, age_on
from tongzhou.elders.importer import elders_import
from tongzhou.elders.models import Category, CategoryMembership, Elder, ElderStatus, valid_on_q
from tongzhou.elders.selectors import elders_visible_to
from tongzhou.geo.models import Region, RegionLevel
from tongzhou.geo.selectors import city_path


def _villages_for(actor: Any) -> QuerySet[Region]:
    return (
        Region.objects.filter(level=RegionLevel.VILLAGE)
        .filter(scope_for(actor).region_q("path"))
        .select_related("parent")
    )


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.parent.name if obj.parent else ''} {obj.name}"


class ElderFormBase(forms.ModelForm):
    """Offers as a residence only the villages inside the acting user's area."""

    actor: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "residence" in self.fields:  # absent on read-only views
            self.fields["residence"].queryset = _villages_for(self.actor)  # type: ignore[attr-defined]


class ElderAddForm(ElderFormBase):
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=18)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    categories = forms.ModelMultipleChoiceField(
        label=_("categories"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Elder
        fields = (
            "name",
            "residence",
            "address",
            "hukou_region",
            "hukou_note",
            "living_arrangement",
        )
        field_classes = {"residence": VillageChoiceField}

    def elder_input(self) -> services.ElderInput:
        data = self.cleaned_data
        return services.ElderInput(
            name=data["name"],
            id_number=data["id_number"],
            residence=data["residence"],
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            hukou_region=data.get("hukou_region"),
            hukou_note=data.get("hukou_note", ""),
            living_arrangement=data["living_arrangement"],
            categories=list(data.get("categories") or []),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            elder = services.elder_build(
                actor=self.actor, data=self.elder_input(), today=clock.today()
            )
        except ValidationFailed as error:
            raise forms.ValidationError(error.message(), code=error.code) from None
        if services.is_registered(elder):
            raise forms.ValidationError(services.duplicate_error().message())
        return data


class ElderChangeForm(ElderFormBase):
    new_phone = forms.CharField(
        label=_("new phone"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to keep the current number."),
    )

    class Meta:
        model = Elder
        fields = (
            "name",
            "residence",
            "address",
            "hukou_region",
            "hukou_note",
            "living_arrangement",
            "status",
            "moved_on",
            "died_on",
        )
        field_classes = {"residence": VillageChoiceField}

    def clean_new_phone(self) -> str:
        try:
            return services.normalise_phone(self.cleaned_data.get("new_phone", ""))
        except ValidationFailed as error:
            raise forms.ValidationError(error.message()) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        if status == ElderStatus.DECEASED and not data.get("died_on"):
            self.add_error("died_on", _("Enter the date of death."))
        if status == ElderStatus.MOVED_AWAY and not data.get("moved_on"):
            self.add_error("moved_on", _("Enter the date of moving away."))
        return data


class MembershipInline(admin.TabularInline):
    model = CategoryMembership
    extra = 0
    fields = ("category", "valid_from", "valid_to", "note")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.ELDER_EDIT)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.ELDER_EDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_cap(request.user, Cap.ELDER_VIEW)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a membership ends by its end date, so history stays


class AreaFilter(admin.SimpleListFilter):
    title = _("town / subdistrict")
    parameter_name = "town"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        towns = Region.objects.filter(level=RegionLevel.TOWN).filter(
            scope_for(request.user).region_q("path")
        )
        return [(town.code, f"{town.name}") for town in towns]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Elder]) -> QuerySet[Elder]:
        if not self.value():
            return queryset
        # A village's code narrows to the village (the service network's map links so).
        area = Region.objects.filter(
            code=self.value(), level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE]
        ).first()
        return queryset.filter(residence__path__startswith=area.path) if area else queryset.none()


class CurrentCategoryFilter(admin.SimpleListFilter):
    title = _("category (today)")
    parameter_name = "category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c.code, c.name_zh) for c in Category.objects.filter(is_active=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Elder]) -> QuerySet[Elder]:
        if not self.value():
            return queryset
        current = CategoryMembership.objects.filter(
            valid_on_q(clock.today()), category__code=self.value()
        )
        return queryset.filter(pk__in=current.values("elder_id"))


class AgeBandFilter(admin.SimpleListFilter):
    title = _("age band")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(band.code, band.label) for band in AGE_BANDS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Elder]) -> QuerySet[Elder]:
        for band in AGE_BANDS:
            if band.code == self.value():
                return queryset.filter(band.birth_q(clock.today()))
        return queryset


@dataclass(frozen=True)
class ElderTool:
    """A page about one elder, linked from the elder's form, that belongs to a domain above
    the register (a citizen card, a printed code card, access to the elder's page). The
    domain's admin module adds it with `ElderAdmin.add_tool`, so the register imports none
    of them."""

    slug: str  # the path under the elder: /admin/elders/elder/<id>/<slug>/
    name: str  # the URL name: admin:elders_elder_<name>
    label: Any
    # (request, elder in the user's area, base context) -> the page
    view: Callable[[HttpRequest, Elder, dict[str, Any]], HttpResponse]


@admin.register(Elder)
class ElderAdmin(ScopedAdmin):
    view_cap = Cap.ELDER_VIEW
    add_cap = Cap.ELDER_EDIT
    change_cap = Cap.ELDER_EDIT
    list_display = (
        "name",
        "gender",
        "id_number_masked",
        "age",
        "residence_label",
        "living_arrangement",
        "status",
    )
    list_filter = (
        "status",
        AreaFilter,
        AgeBandFilter,
        CurrentCategoryFilter,
        "living_arrangement",
        "gender",
    )
    search_fields = ("name",)
    search_help_text = _("Name (part of it) or a full 18-character ID number.")
    list_per_page = 50
    show_full_result_count = False
    inlines = (MembershipInline,)
    change_list_template = "admin/elders/elder/change_list.html"
    change_form_template = "admin/elders/elder/change_form.html"
    # Pages about one elder that other domains add (identity's cards, the elder's page).
    tools: ClassVar[list[ElderTool]] = []

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Elder]:
        return elders_visible_to(request.user).select_related("residence__parent")

    @admin.display(description=_("age"))
    def age(self, obj: Elder) -> str:
        years = age_on(obj.birth_date, clock.today())
        return f"{years} ({age_band(years).label})"

    @admin.display(description=_("residence"), ordering="residence__path")
    def residence_label(self, obj: Elder) -> str:
        parent = obj.residence.parent
        return f"{parent.name if parent else ''} {obj.residence.name}"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Elder], search_term: str
    ) -> tuple[QuerySet[Elder], bool]:
        term = search_term.strip()
        if len(term) == 18:
            digests = crypto.lookup_hashes(term.upper(), purpose="id_number")
            return queryset.filter(Q(id_number_hash__in=digests) | Q(name__contains=term)), False
        return super().get_search_results(request, queryset, search_term)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = ElderChangeForm if obj is not None else ElderAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        return form_for_actor(form, request.user)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [
                (None, {"fields": ("name", "id_number", "phone", "residence", "address")}),
                (
                    _("Household and living"),
                    {"fields": ("hukou_region", "hukou_note", "living_arrangement", "categories")},
                ),
            ]
        return [
            (
                None,
                {
                    "fields": (
                        "name",
                        "gender",
                        "id_number_masked",
                        "birth_date",
                        "phone_masked",
                        "new_phone",
                    )
                },
            ),
            (
                _("Where"),
                {
                    "fields": (
                        "residence",
                        "address",
                        "hukou_region",
                        "hukou_note",
                        "living_arrangement",
                    )
                },
            ),
            (_("Status"), {"fields": ("status", "moved_on", "died_on")}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("gender", "id_number_masked", "birth_date", "phone_masked")

    def save_model(self, request: HttpRequest, obj: Elder, form: Any, change: bool) -> None:
        actor = request.user
        if not change:
            created = services.elder_create(actor=actor, data=form.elder_input())
            obj.pk = created.pk
            form.instance = created
            return
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in (
                "name",
                "residence",
                "address",
                "hukou_region",
                "hukou_note",
                "living_arrangement",
            )
            if name in form.changed_data
        }
        if data.get("new_phone"):
            changes["phone"] = data["new_phone"]
        if changes:
            services.elder_update(actor=actor, elder=obj, changes=changes)
        if {"status", "moved_on", "died_on"} & set(form.changed_data):
            status = data["status"]
            day = {"deceased": data.get("died_on"), "moved_away": data.get("moved_on")}.get(status)
            services.elder_set_status(actor=actor, elder=obj, status=status, on=day)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            # The admin's change message reads what formset.save() would have recorded.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for membership_form in formset.forms:
                data = membership_form.cleaned_data
                if not data or not membership_form.has_changed():
                    continue
                existing = membership_form.instance
                if existing.pk:
                    if data.get("valid_to"):
                        services.membership_end(
                            actor=request.user, membership=existing, valid_to=data["valid_to"]
                        )
                    continue
                services.membership_add(
                    actor=request.user,
                    elder=form.instance,
                    category=data["category"],
                    valid_from=data["valid_from"],
                    valid_to=data.get("valid_to"),
                    note=data.get("note", ""),
                )

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "import/", self.admin_site.admin_view(self.import_view), name="elders_elder_import"
            ),
            *(
                path(
                    f"<int:elder_id>/{tool.slug}/",
                    self.admin_site.admin_view(partial(self._tool_view, tool)),
                    name=f"elders_elder_{tool.name}",
                )
                for tool in self.tools
            ),
            path(
                "<int:elder_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="elders_elder_reveal",
            ),
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not has_cap(request.user, Cap.ELDER_EDIT):
            return render(request, "admin/elders/elder/forbidden.html", status=403)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import an elder register"),
        }
        upload = request.FILES.get("file")
        if request.method == "POST" and isinstance(upload, UploadedFile):
            try:
                context["report"] = elders_import(
                    actor=request.user, handle=upload, filename=upload.name or ""
                )
            except DomainError as error:
                context["file_error"] = error.message()
        return TemplateResponse(request, "admin/elders/elder/import.html", context)

    @classmethod
    def add_tool(cls, tool: ElderTool) -> None:
        """Add a page about one elder; called by the admin module of the app it belongs to."""
        cls.tools = [*cls.tools, tool]

    def _tool_view(self, tool: ElderTool, request: HttpRequest, elder_id: int) -> HttpResponse:
        """What every tool page starts with: the elder in the user's area (else 404), the
        right to change it (else 403), the context."""
        elder = self.get_object(request, str(elder_id))
        if not has_cap(request.user, Cap.ELDER_EDIT):
            return render(request, "admin/elders/elder/forbidden.html", status=403)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "elder": elder,
            "title": tool.label,
        }
        return tool.view(request, elder, context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        tools = [(f"admin:elders_elder_{tool.name}", tool.label) for tool in self.tools]
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "elder_tools": tools}
        )

    def reveal_view(self, request: HttpRequest, elder_id: int) -> HttpResponse:
        elder = self.get_object(request, str(elder_id))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "elder": elder,
            "title": _("Full identity details"),
        }
        if request.method == "POST":
            try:
                context["revealed"] = services.elder_reveal(
                    actor=request.user, elder=elder, reason=request.POST.get("reason", "")
                )
            except DomainError as error:
                context["error"] = error.message()
                status = error.status if error.status == 403 else 200
                return TemplateResponse(
                    request, "admin/elders/elder/reveal.html", context, status=status
                )
        elif not has_cap(request.user, Cap.ELDER_REVEAL):
            return render(request, "admin/elders/elder/forbidden.html", status=403)
        return TemplateResponse(request, "admin/elders/elder/reveal.html", context)


@admin.register(Category)
class CategoryAdmin(ScopedAdmin):
    view_cap = Cap.ELDER_VIEW
    add_cap = Cap.REFERENCE_EDIT
    change_cap = Cap.REFERENCE_EDIT
    list_display = ("name_zh", "name_en", "code", "sort_order", "is_active")
    list_editable = ()
    audited_fields = ("code", "name_zh", "name_en", "description", "sort_order", "is_active")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return Category.objects.all()

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        reference_save(
            actor=request.user,
            obj=obj,
            fields=self.audited_fields,
            cap=Cap.REFERENCE_EDIT,
            scope_path=city_path(),
        )
