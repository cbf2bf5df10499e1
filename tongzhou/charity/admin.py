from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongzhou.access.admin_base import ScopedAdmin
from tongzhou.access.roles import Cap
from tongzhou.charity import services
from tongzhou.charity.models import CharityFund
from tongzhou.charity.selectors import funds_visible_to
from tongzhou.core.money import yuan


@admin.register(CharityFund)
class CharityFundAdmin(ScopedAdmin):
    view_cap = Cap.FUND_VIEW
    add_cap = Cap.REFERENCE_EDIT
    list_display = ("name", "donor", "earmark_region", "earmark_category", "balance", "created_at")
    fields = ("name", "donor", "earmark_region", "earmark_category")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[CharityFund]:
        return funds_visible_to(request.user)

    @admin.display(description=_("balance (yuan)"))
    def balance(self, obj: CharityFund) -> str:
        return yuan(services.fund_balance(obj))

    def save_model(self, request: HttpRequest, obj: CharityFund, form: Any, change: bool) -> None:
        created = services.fund_create(
            actor=request.user,
            name=obj.name,
            donor=obj.donor,
            earmark_region=obj.earmark_region,
            earmark_category=obj.earmark_category,
        )
        obj.pk = created.pk
