"""Demo history: last month's lunches at every canteen, sold through the same checkout as a
counter, so that the month can be settled, reconciled and exported on the first visit; and
one planted case of a card lent across islands for the review queue."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongzhou.canteens.models import Canteen, Terminal
from tongzhou.core import clock
from tongzhou.core.errors import DomainError
from tongzhou.elders.models import Elder, ElderStatus
from tongzhou.geo.selectors import city_path
from tongzhou.identity.services import Resolved
from tongzhou.ledger.models import Account, AccountKind
from tongzhou.meals.models import Meal
from tongzhou.meals.services import CheckoutRequest, Line, sell_to_known_elder
from tongzhou.settlement.anomalies import detect_anomalies
from tongzhou.settlement.services import period_for

SALES_PER_CANTEEN = 60
LENDER_HOME, LENDER_CANTEEN, BORROWER_CANTEEN = "330922", "ZS-SS-001", "ZS-PT-003"  # 嵊泗 → 六横


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _sell(canteen: Canteen, elder: Elder, moment: dt.datetime, receipt: str, fen: int) -> bool:
    terminal = Terminal.objects.devices().filter(canteen=canteen).order_by("pk")[0]
    request = CheckoutRequest(
        card="",
        session="lunch",
        lines=[Line(amount_fen=fen)],
        client_receipt_no=receipt,
        device_time=moment,
        accept_full_price=True,
    )
    try:
        with transaction.atomic():
            sell_to_known_elder(
                terminal=terminal, request=request, resolved=Resolved(elder, "card"), at=moment
            )
    except DomainError:
        return False  # e.g. a purse too short: that elder simply did not eat that day
    return True


def _with_money(elders: list[int]) -> list[int]:
    funded = Account.objects.filter(
        kind=AccountKind.ELDER_OWN, elder_id__in=elders, balance_fen__gte=2000
    )
    return sorted(funded.values_list("elder_id", flat=True))


def build_last_month(rng: random.Random, canteens: list[Canteen]) -> int:
    first, last = last_month(clock.today())
    days = (last - first).days + 1
    sold = 0
    for canteen in canteens:
        town_path = canteen.village.path.rsplit("/", 2)[0] + "/"
        regulars = _with_money(
            list(
                Elder.objects.filter(
                    status=ElderStatus.ACTIVE, residence__path__startswith=town_path
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:400]
            )
        )[:80]
        if not regulars:
            continue
        people = Elder.objects.select_related("residence").in_bulk(regulars)
        for number in range(SALES_PER_CANTEEN):
            day = first + dt.timedelta(days=rng.randrange(days))
            moment = timezone.make_aware(
                dt.datetime.combine(day, dt.time(10, 45)) + dt.timedelta(minutes=rng.randrange(95))
            )
            elder = people[rng.choice(regulars)]
            fen = rng.choice((1200, 1500, 1500, 1800))
            sold += _sell(canteen, elder, moment, f"H{canteen.code}-{number:03d}", fen)
    sold += _plant_card_lending(rng, canteens, first)
    # Recorded today, but sold last month: date the rows as the sales (or every counter
    # would look a month slow to the clock-drift check).
    Meal.objects.filter(client_receipt_no__startswith="H", device_time__isnull=False).update(
        created_at=F("device_time")
    )
    detect_anomalies(period_for("monthly", first))
    return sold


def _plant_card_lending(rng: random.Random, canteens: list[Canteen], first: dt.date) -> int:
    """A 嵊泗 elder's card used on 泗礁山 and, 40 minutes later, on 六横 (2 hours by sea)."""
    by_code = {canteen.code: canteen for canteen in canteens}
    candidates = _with_money(
        list(
            Elder.objects.filter(
                status=ElderStatus.ACTIVE,
                residence__path__startswith=f"{city_path()}{LENDER_HOME}/",
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
    )
    if not candidates or not {LENDER_CANTEEN, BORROWER_CANTEEN} <= set(by_code):
        return 0
    elder = Elder.objects.select_related("residence").get(pk=candidates[0])
    day = first + dt.timedelta(days=9)
    at_home = timezone.make_aware(dt.datetime.combine(day, dt.time(11, 5)))
    away = at_home + dt.timedelta(minutes=40)
    home_sale = _sell(by_code[LENDER_CANTEEN], elder, at_home, "H-LEND-1", 1500)
    away_sale = _sell(by_code[BORROWER_CANTEEN], elder, away, "H-LEND-2", 1500)
    return int(home_sale) + int(away_sale)
