"""Reads of the care services, each narrowed to the actor's scope: a worker sees their
area's elders and orders; a carer sees only the orders given to them or their provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Mod, TruncMonth

from tongzhou.access.roles import Cap
from tongzhou.access.scope import has_cap, require_cap, scope_for
from tongzhou.care.models import (
    OPEN_ORDER_STATUSES,
    Carer,
    Entitlement,
    EntitlementPurse,
    OrderStatus,
    Provider,
    ProviderStatement,
    ServiceItem,
    ServiceListVersion,
    ServiceOrder,
)
from tongzhou.care.rules import period_bounds, period_id
from tongzhou.care.services import FIGURES, version_in_force
from tongzhou.core import clock
from tongzhou.core.errors import NotFound
from tongzhou.elders.models import Elder

CALLBACK_ONE_IN = 10
PERIOD_WORDS = {"month": "本月", "quarter": "本季度", "year": "今年", "once": "一次性"}


@dataclass(frozen=True)
class EntitlementView:
    item: ServiceItem
    quantity: int
    left: int
    period_label: str
    period_id: str
    delivery_label: str
    since: dt.date
    reasons: list[dict[str, str]]

    @property
    def orderable(self) -> bool:
        return self.item.delivery in ("home", "station", "mobile") and self.item.kind != "meals"


def elder_entitlements(elder: Elder, day: dt.date | None = None) -> list[EntitlementView]:
    """The elder's entitlements in force on `day` as last refreshed, with what is left this
    period and why. The caller has already been allowed to see the elder (a worker's scope or
    the elder's own page), and refreshes the rows first where it shows them."""
    day = day or clock.today()
    rows = list(
        Entitlement.objects.filter(elder=elder, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .select_related("item")
        .order_by("item__sort_order")
    )
    purses = {
        (p.item_code, p.period_id): p
        for p in EntitlementPurse.objects.filter(
            elder=elder, item_code__in=[r.item_code for r in rows]
        )
    }
    answer = []
    for row in rows:
        period = period_id(row.item.period, day)
        purse = purses.get((row.item_code, period))
        answer.append(
            EntitlementView(
                item=row.item,
                quantity=row.quantity,
                left=purse.left if purse else row.quantity,
                period_label=PERIOD_WORDS[row.item.period],
                period_id=period,
                delivery_label=row.get_delivery_display(),
                since=row.valid_from,
                reasons=row.reasons,
            )
        )
    return answer


def entitlement_history(elder: Elder) -> QuerySet[Entitlement]:
    return (
        Entitlement.objects.filter(elder=elder)
        .select_related("item")
        .order_by("-valid_from", "item__sort_order")
    )


def orders_visible_to(actor: Any) -> QuerySet[ServiceOrder]:
    base = ServiceOrder.objects.select_related("elder__residence", "item", "provider", "carer")
    if has_cap(actor, Cap.CARE_VIEW):
        return base.filter(scope_for(actor).region_q("elder__residence__path"))
    if has_cap(actor, Cap.CARE_SERVE):
        carer = Carer.objects.filter(user=actor, is_active=True).first()
        if carer is None:
            return base.none()
        return base.filter(
            Q(carer=carer) | Q(provider_id=carer.provider_id, status=OrderStatus.DISPATCHED)
        )
    return base.none()


def order_get(actor: Any, order_id: int) -> ServiceOrder:
    order = orders_visible_to(actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound("服务订单", "service order")
    return order


def carer_day(actor: Any, day: dt.date) -> dict[str, list[ServiceOrder]]:
    """A carer's phone page: what to take, what is on today, what is still open."""
    require_cap(actor, Cap.CARE_SERVE, "查看上门服务", "see door services")
    mine = orders_visible_to(actor)
    return {
        "to_accept": list(mine.filter(status=OrderStatus.DISPATCHED).order_by("created_at")[:50]),
        "today": list(
            mine.filter(
                status__in=[OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE],
                window_start__date__lte=day,
            ).order_by("window_start")[:50]
        ),
        "later": list(
            mine.filter(status=OrderStatus.ACCEPTED, window_start__date__gt=day).order_by(
                "window_start"
            )[:50]
        ),
        "done": list(
            mine.filter(
                status__in=[OrderStatus.APPROVED, OrderStatus.REVIEW], check_out_at__date=day
            ).order_by("-check_out_at")[:50]
        ),
    }


def orders_for_staff(actor: Any, *, status: str = "") -> QuerySet[ServiceOrder]:
    require_cap(actor, Cap.CARE_VIEW, "查看服务订单", "see service orders")
    orders = orders_visible_to(actor)
    if status == "open":
        return orders.filter(status__in=OPEN_ORDER_STATUSES)
    if status == "callback":
        # One approved record in ten, chosen by its number (not by anyone), is called back.
        return orders.annotate(draw=Mod("pk", CALLBACK_ONE_IN)).filter(
            status=OrderStatus.APPROVED, satisfaction__isnull=True, draw=0
        )
    if status:
        return orders.filter(status=status)
    return orders


def providers_for(elder: Elder) -> QuerySet[Provider]:
    """Providers whose area holds the elder's home."""
    path = elder.residence.path
    prefixes = [path[: i + 1] for i, ch in enumerate(path) if ch == "/"]
    return Provider.objects.filter(is_active=True, region__path__in=prefixes).order_by("name")


def list_versions() -> QuerySet[ServiceListVersion]:
    return ServiceListVersion.objects.all()


def list_in_force(day: dt.date | None = None) -> ServiceListVersion | None:
    return version_in_force(day or clock.today())


def purses_of(elder: Elder) -> QuerySet[EntitlementPurse]:
    return EntitlementPurse.objects.filter(elder=elder).order_by("-period_id")


def elder_orders_coming(elder: Elder) -> list[ServiceOrder]:
    """For the elder's own page: open orders, the scheduled ones first."""
    return list(
        ServiceOrder.objects.filter(elder=elder, status__in=OPEN_ORDER_STATUSES)
        .select_related("item", "carer")
        .order_by(F("window_start").asc(nulls_last=True), "created_at")[:20]
    )


@dataclass(frozen=True)
class ProviderMonth:
    provider: Provider
    statement: ProviderStatement | None  # once closed, its fixed figures are these
    figures: dict[str, int]  # orders, adjustments, price, the three shares, payable
    held: int  # records of the month still in review: not payable until approved
    held_fen: int


def provider_month(actor: Any, month: dt.date) -> list[ProviderMonth]:
    """Each provider's month: the statement where the district has closed it, else what it
    would hold if closed now (approved records not yet settled, dated up to the month's end,
    the earlier ones as adjustments); and the month's records held in review."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务结算", "see service settlement")
    first, last = period_bounds("month", month)
    mine = orders_visible_to(actor).filter(provider__isnull=False, business_date__lte=last)
    # A statement is shown to whoever sees one of its records, with the provider's totals.
    statements = {
        statement.provider_id: statement
        for statement in ProviderStatement.objects.filter(
            Exists(mine.filter(statement=OuterRef("pk"))),
            period__cycle="monthly",
            period__starts_on=first,
        ).select_related("provider", "period")
    }
    figures: dict[int, dict[str, int]] = {}
    # An earlier month's record counts here only once its own month is closed (closing that
    # month first would take it), as closing this month would then take it.
    own_month_closed = Exists(
        ProviderStatement.objects.filter(
            provider=OuterRef("provider"),
            period__cycle="monthly",
            period__starts_on=TruncMonth(
                ExpressionWrapper(OuterRef("business_date"), output_field=DateField())
            ),
        )
    )
    for row in (
        mine.filter(Q(business_date__gte=first) | own_month_closed)
        .filter(status=OrderStatus.APPROVED, statement__isnull=True)
        .exclude(provider_id__in=list(statements))
        .order_by()
        .values("provider_id")
        .annotate(**FIGURES | {"adjustments": Count("pk", filter=Q(business_date__lt=first))})
    ):
        line: dict[str, int] = {**row}  # type: ignore[dict-item]  # django-stubs types the keys only
        provider_id = line.pop("provider_id")
        figures[provider_id] = line | {"payable_fen": line["government_fen"] + line["charity_fen"]}
    held: dict[int, tuple[int, int]] = {
        row["provider_id"]: (row["n"], row["fen"])
        for row in mine.filter(status=OrderStatus.REVIEW, business_date__gte=first)
        .order_by()
        .values("provider_id")
        .annotate(n=Count("pk"), fen=Sum("price_fen", default=0))
    }
    providers = Provider.objects.in_bulk(set(figures) | set(held) | set(statements))
    empty = dict.fromkeys([*FIGURES, "payable_fen"], 0)
    return sorted(
        (
            ProviderMonth(
                provider,
                statements.get(pk),
                statements[pk].totals if pk in statements else figures.get(pk, empty),
                *held.get(pk, (0, 0)),
            )
            for pk, provider in providers.items()
        ),
        key=lambda line: line.provider.name,
    )


def statement_get(actor: Any, statement_id: int) -> ProviderStatement:
    """A statement, for those who may see its provider's area or one of its records."""
    require_cap(actor, Cap.CARE_VIEW, "查看服务结算", "see service settlement")
    statement = (
        ProviderStatement.objects.select_related("provider__region", "period", "journal")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None or not (
        scope_for(actor).contains_path(statement.provider.region.path)
        or orders_visible_to(actor).filter(statement=statement).exists()
    ):
        raise NotFound("结算单", "statement")
    return statement


def statement_orders(actor: Any, statement: ProviderStatement) -> QuerySet[ServiceOrder]:
    """A statement's records the actor may see (all of them in the provider's own area)."""
    orders = statement.orders.all()
    if not scope_for(actor).contains_path(statement.provider.region.path):
        orders = orders.filter(pk__in=orders_visible_to(actor).values("pk"))
    return orders.select_related("elder__residence", "item", "carer").order_by(
        "business_date", "pk"
    )
