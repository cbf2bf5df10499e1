from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.elders.selectors import elder_get, elder_list
from tongzhou.subsidies import services
from tongzhou.subsidies.models import SubsidyPolicy, SubsidyRule


class RuleInline(admin.TabularInline):
    model = SubsidyRule
    extra = 4
    fields = (
        "label", "age_band", "category", "session", "mode", "amount_fen",
        "district_bp", "city_bp", "charity_bp", "canteen_bp",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and has_cap(request.user, Cap.POLICY_EDIT)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and has_cap(request.user, Cap.POLICY_EDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_authenticated and request.user.is_staff

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(ScopedAdmin):
    """Versions are read-only once saved; a change is a new version from a future date."""

    view_cap = Cap.ELDER_VIEW
    add_cap = Cap.POLICY_EDIT
    list_display = ("name", "region", "effective_from", "min_spend_fen", "monthly_cap_meals")
    list_filter = ("region",)
    inlines = (RuleInline,)
    change_list_template = "admin/subsidies/subsidypolicy/change_list.html"
    fields = (
        "region", "name", "effective_from", "min_spend_fen", "monthly_cap_meals",
        "delivery_fee_fen", "delivery_subsidy_fen", "delivery_categories",
        "delivery_min_age_alone", "operating_fen_per_elder_day", "max_lines", "max_quantity",
        "max_breakfast_fen", "max_lunch_fen", "max_dinner_fen",
    )  # fmt: skip

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[SubsidyPolicy]:
        return SubsidyPolicy.objects.select_related("region")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SubsidyPolicy, form: Any, change: bool) -> None:
        pass  # saved with its rules in save_related, through the service

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        rules = [
            SubsidyRule(
                **{k: v for k, v in f.cleaned_data.items() if k not in ("id", "policy", "DELETE")}
            )
            for formset in formsets
            for f in formset.forms
            if f.cleaned_data and f.has_changed()
        ]
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        created = services.policy_version_create(
            actor=request.user, policy=form.instance, rules=rules
        )
        form.instance.pk = created.pk

    def get_urls(self) -> list[Any]:
        return [
            path(
                "preview/", self.admin_site.admin_view(self.preview_view), name="subsidies_preview"
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        form = PreviewForm(request.GET or None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Preview a quote"),
            "form": form,
        }
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                found = list(elder_list(actor=request.user, search=data["elder"])[:2])
                if len(found) != 1:
                    raise DomainError(
                        code="elder_not_unique",
                        message_zh="请输入能唯一确定一位老人的姓名或完整身份证号。",
                        message_en="Enter a name or full ID number that finds exactly one elder.",
                    )
                elder = elder_get(actor=request.user, elder_id=found[0].pk)
                policy, quote = services.quote_preview(
                    actor=request.user,
                    elder=elder,
                    total_fen=round(data["total_yuan"] * 100),
                    day=data["day"],
                    session=data["session"],
                )
                context.update(elder=elder, policy=policy, quote=quote)
            except DomainError as error:
                context["error"] = error.message()
        return TemplateResponse(request, "admin/subsidies/subsidypolicy/preview.html", context)


class PreviewForm(forms.Form):
    elder = forms.CharField(label=_("elder (name or ID number)"), max_length=40)
    total_yuan = forms.DecimalField(
        label=_("meal total (yuan)"), min_value=0, max_value=1000, decimal_places=2
    )
    day = forms.DateField(
        label=_("date"), initial=clock.today, widget=forms.DateInput(attrs={"type": "date"})
    )
    session = forms.ChoiceField(
        label=_("meal session"),
        choices=[("breakfast", _("breakfast")), ("lunch", _("lunch")), ("dinner", _("dinner"))],
        initial="lunch",
    )
