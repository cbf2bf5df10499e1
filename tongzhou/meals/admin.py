from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, scope_for
from tongzhou.canteens.models import Canteen
from tongzhou.core.errors import DomainError
from tongzhou.core.masking import mask_name
from tongzhou.core.money import yuan
from tongzhou.meals import services
from tongzhou.meals.models import Meal, OfflineSale
from tongzhou.meals.selectors import meals_visible_to


@admin.register(Meal)
class MealAdmin(ScopedAdmin):
    view_cap = Cap.MEAL_VIEW
    list_display = (
        "receipt_no",
        "canteen",
        "elder_masked",
        "business_date",
        "session",
        "total",
        "subsidy",
        "own",
        "status",
    )
    # Only the canteens of the user's own rows (the queryset is scoped), never every one.
    list_filter = (
        "status",
        "session",
        "business_date",
        ("canteen", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("receipt_no", "client_receipt_no")
    list_select_related = ("canteen", "elder")
    date_hierarchy = "business_date"
    actions = ("void_meals", "refund_meals")
    change_list_template = "admin/meals/meal/change_list.html"
    exclude = ("elder",)
    readonly_fields = (
        "receipt_no", "canteen", "terminal", "client_receipt_no", "elder_masked", "business_date",
        "session", "lines", "total_fen", "subsidy_fen", "district_fen", "city_fen", "charity_fen",
        "canteen_discount_fen", "subsidy_purse_fen", "charity_purse_fen", "own_fen", "policy",
        "rule", "outcome", "age_band", "categories", "status", "created_at", "device_time",
    )  # fmt: skip

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Meal]:
        return meals_visible_to(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("elder"))
    def elder_masked(self, obj: Meal) -> str:
        return mask_name(obj.elder.name)

    @admin.display(description=_("total (yuan)"), ordering="total_fen")
    def total(self, obj: Meal) -> str:
        return yuan(obj.total_fen)

    @admin.display(description=_("subsidy (yuan)"))
    def subsidy(self, obj: Meal) -> str:
        return yuan(obj.subsidy_fen)

    @admin.display(description=_("paid by the elder (yuan)"))
    def own(self, obj: Meal) -> str:
        return yuan(obj.own_fen + obj.subsidy_purse_fen + obj.charity_purse_fen)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not has_cap(request.user, Cap.MEAL_VOID):
            actions.pop("void_meals", None)
        if not has_cap(request.user, Cap.MEAL_REFUND):
            actions.pop("refund_meals", None)
        return actions

    def _reverse(self, request: HttpRequest, queryset: QuerySet[Meal], refund: bool) -> None:
        reason = str(_("reversed in the back office by %(user)s") % {"user": request.user})
        for meal in queryset:
            try:
                if refund:
                    services.meal_refund(
                        actor=request.user, receipt_no=meal.receipt_no, reason=reason
                    )
                else:
                    services.meal_void(
                        actor=request.user, receipt_no=meal.receipt_no, reason=reason
                    )
                self.message_user(
                    request, _("%(receipt)s reversed.") % {"receipt": meal.receipt_no}
                )
            except DomainError as error:
                self.message_user(request, f"{meal.receipt_no}: {error.message()}", messages.ERROR)

    @admin.action(description=_("Void (today's sales, at this canteen)"))
    def void_meals(self, request: HttpRequest, queryset: QuerySet[Meal]) -> None:
        self._reverse(request, queryset, refund=False)

    @admin.action(description=_("Refund (bureau)"))
    def refund_meals(self, request: HttpRequest, queryset: QuerySet[Meal]) -> None:
        self._reverse(request, queryset, refund=True)

    def get_urls(self) -> list[Any]:
        return [
            path("sell/", self.admin_site.admin_view(self.sell_view), name="meals_meal_sell"),
            *super().get_urls(),
        ]

    def sell_view(self, request: HttpRequest) -> HttpResponse:
        """Key in a sale when the counter device is unavailable."""
        if not has_cap(request.user, Cap.MEAL_VOID):
            return TemplateResponse(request, "admin/elders/elder/forbidden.html", status=403)
        canteens = Canteen.objects.filter(scope_for(request.user).canteen_q())
        form = SellForm(request.POST or None, canteens=canteens)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Sell a meal"),
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.backoffice_checkout(
                    actor=request.user,
                    canteen=data["canteen"],
                    nonce=data["nonce"],
                    request=services.CheckoutRequest(
                        card=data["card"],
                        session=data["session"],
                        lines=[services.Line(amount_fen=round(data["amount_yuan"] * 100))],
                        client_receipt_no=data["nonce"][:40],
                        accept_full_price=data["accept_full_price"],
                    ),
                )
                context["receipt"] = result.receipt
                context["form"] = SellForm(canteens=canteens)
            except DomainError as error:
                context["error"] = error.message()
        return TemplateResponse(request, "admin/meals/meal/sell.html", context)


class SellForm(forms.Form):
    canteen = forms.ModelChoiceField(queryset=Canteen.objects.none(), label=_("canteen"))
    card = forms.CharField(label=_("card number"), max_length=64)
    session = forms.ChoiceField(
        label=_("meal session"),
        choices=[("breakfast", _("breakfast")), ("lunch", _("lunch")), ("dinner", _("dinner"))],
        initial="lunch",
    )
    amount_yuan = forms.DecimalField(
        label=_("amount (yuan)"), min_value=0.01, max_value=1000, decimal_places=2
    )
    accept_full_price = forms.BooleanField(
        label=_("charge full price if the subsidy is used"), required=False
    )
    nonce = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, canteens: QuerySet[Canteen], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["canteen"].queryset = canteens  # type: ignore[attr-defined]
        if canteens.count() == 1:
            self.fields["canteen"].initial = canteens.first()
        if not self.is_bound:
            # One nonce per form shown: a double submit of the same form sells once.
            self.fields["nonce"].initial = uuid.uuid4().hex


@admin.register(OfflineSale)
class OfflineSaleAdmin(ScopedAdmin):
    """What the server resolved for sales counters made offline: the canteen sees its own,
    the bureau its area; each row shows the outcome and, for a review, why."""

    view_cap = Cap.MEAL_VIEW
    list_display = (
        "device_time",
        "terminal",
        "receipt_no",
        "outcome",
        "reason",
        "meal",
        "synced_at",
    )
    list_filter = ("outcome", "business_date")
    search_fields = ("receipt_no", "client_id")
    readonly_fields = [f.name for f in OfflineSale._meta.fields]

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[OfflineSale]:
        return OfflineSale.objects.filter(
            scope_for(request.user).canteen_q("terminal__canteen__")
        ).select_related("terminal", "meal")
