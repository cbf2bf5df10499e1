"""Reads for booking and delivery: a day's meals (booked rows plus standing bookings'
days), the kitchen's counts, a courier's route, the open wellness alerts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tongzhou.access.roles import Cap, Role
from tongzhou.access.scope import require_cap, scope_for
from tongzhou.bookings.models import (
    Booking,
    BookingMode,
    BookingPlan,
    BookingStatus,
    DeliveryRun,
    Diet,
    MealProfile,
    WellnessAlert,
)
from tongzhou.canteens.models import Canteen, CanteenStatus
from tongzhou.core import clock, crypto
from tongzhou.core.errors import NotFound
from tongzhou.core.masking import mask_name
from tongzhou.elders.models import Elder
from tongzhou.meals.models import SESSION_CHOICES, Meal


def plans_on(day: dt.date) -> QuerySet[BookingPlan]:
    weekday = str(day.isoweekday())
    return (
        BookingPlan.objects.filter(starts_on__lte=day, weekdays__contains=weekday)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exclude(pauses__starts_on__lte=day, pauses__ends_on__gte=day)
        .filter(elder__status="active")
    )


def plan_runs_on(elder_id: int, day: dt.date, session: str) -> BookingPlan | None:
    """The standing booking that gives this elder a meal that day, if no row overrides it."""
    if Booking.objects.filter(elder_id=elder_id, date=day, session=session).exists():
        return None
    return (
        plans_on(day).filter(elder_id=elder_id, session=session).select_related("canteen").first()
    )


def occurrences(canteen: Canteen, day: dt.date, session: str) -> list[BookingPlan]:
    """Standing bookings giving a meal at this canteen that day with no row of their own (a
    paused day never appears; a cancelled day has a row)."""
    taken = Booking.objects.filter(date=day, session=session).values("elder_id")
    plans = plans_on(day).filter(canteen=canteen, session=session).exclude(elder_id__in=taken)
    return list(plans.order_by("elder_id"))


@dataclass
class KitchenLine:
    elder_id: int
    name: str  # masked
    village: str
    mode: str
    diets: list[str]  # Diet codes
    allergies: str
    courier: str = ""
    stop_order: int = 0

    @property
    def stop(self) -> str:
        return f"{self.courier} #{self.stop_order}" if self.courier else ""

    @property
    def diet_labels(self) -> list[str]:
        return [str(Diet(code).label) for code in self.diets]


@dataclass
class KitchenSheet:
    canteen: Canteen
    day: dt.date
    session: str
    lines: list[KitchenLine]
    by_diet: dict[str, int] = field(default_factory=dict)  # Diet code → meals
    by_mode: dict[str, int] = field(default_factory=dict)
    allergies: int = 0

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def regular(self) -> int:
        return sum(1 for line in self.lines if not line.diets)

    @property
    def diet_counts(self) -> list[tuple[str, int]]:
        return [(str(Diet(code).label), count) for code, count in self.by_diet.items()]


def day_bookings(canteen: Canteen, day: dt.date, session: str) -> list[tuple[int, str, str, int]]:
    """(elder id, mode, courier, stop) for every meal the kitchen makes; cancelled and paused
    meals are not among them."""
    rows = (
        Booking.objects.filter(canteen=canteen, date=day, session=session)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("run__courier")
    )
    meals = [
        (row.elder_id, row.mode, str(row.run.courier) if row.run else "", row.stop_order or 0)
        for row in rows
    ]
    meals += [(plan.elder_id, plan.mode, "", 0) for plan in occurrences(canteen, day, session)]
    return meals


def require_canteen_in_scope(actor: Any, canteen_id: int, cap: Cap, zh: str, en: str) -> Canteen:
    require_cap(actor, cap, zh, en)
    canteen = (
        Canteen.objects.filter(scope_for(actor).canteen_q(), pk=canteen_id)
        .select_related("village")
        .first()
    )
    if canteen is None:
        raise NotFound("食堂", "canteen")
    return canteen


def kitchen_sheet(*, actor: Any, canteen_id: int, day: dt.date, session: str) -> KitchenSheet:
    canteen = require_canteen_in_scope(
        actor, canteen_id, Cap.KITCHEN_VIEW, "查看备餐", "see the kitchen"
    )
    meals = day_bookings(canteen, day, session)
    elders = Elder.objects.select_related("residence").in_bulk([meal[0] for meal in meals])
    profiles = {p.elder_id: p for p in MealProfile.objects.filter(elder_id__in=elders)}
    lines = []
    for elder_id, mode, courier, stop_order in meals:
        profile = profiles.get(elder_id)
        lines.append(
            KitchenLine(
                elder_id=elder_id,
                name=mask_name(elders[elder_id].name),
                village=elders[elder_id].residence.name,
                mode=mode,
                diets=list(profile.diets) if profile else [],
                allergies=profile.allergies if profile else "",
                courier=courier,
                stop_order=stop_order,
            )
        )
    # Deliveries first, by courier and stop (the order they are packed), then eat-in.
    lines.sort(
        key=lambda line: (
            line.mode,
            line.courier or "~",
            line.stop_order,
            line.village,
            line.elder_id,
        )
    )
    by_diet: Counter[str] = Counter()
    for line in lines:
        by_diet.update(line.diets)
    return KitchenSheet(
        canteen=canteen,
        day=day,
        session=session,
        lines=lines,
        by_diet=dict(sorted(by_diet.items())),
        by_mode=dict(Counter(line.mode for line in lines)),
        allergies=sum(1 for line in lines if line.allergies),
    )


def runs_for(actor: Any, day: dt.date) -> QuerySet[DeliveryRun]:
    """A courier's own runs that day; a canteen's manager sees all of the canteen's."""
    require_cap(actor, Cap.DELIVERY_RECORD, "查看送餐路线", "see delivery routes")
    scope = scope_for(actor)
    runs = DeliveryRun.objects.filter(date=day).select_related("canteen", "courier")
    if scope.everything:
        return runs
    if actor.role == Role.CANTEEN_MANAGER:
        return runs.filter(canteen_id=scope.canteen_id or 0)
    return runs.filter(courier=actor)


def run_stops(run: DeliveryRun) -> list[Booking]:
    return list(
        run.stops.exclude(status=BookingStatus.CANCELLED)
        .filter(mode=BookingMode.DELIVERY)
        .select_related("elder__residence", "elder__meal_profile", "meal")
        .order_by("stop_order")
    )


@dataclass
class StopLinks:
    """What a courier's phone needs at a door: numbers to call, and the way there."""

    elder_phone: str  # full number for the tel: link; shown masked
    elder_phone_masked: str
    contact_name: str
    contact_phone: str
    contact_phone_masked: str
    navigate: str


def door_of(elder: Elder) -> tuple[float | None, float | None]:
    """(lon, lat) of the elder's door: the meal profile's point, else the village's centre
    (None where the village has no point either)."""
    profile = getattr(elder, "meal_profile", None)
    if profile is not None and profile.home_lon is not None and profile.home_lat is not None:
        return (profile.home_lon, profile.home_lat)
    return (elder.residence.lon, elder.residence.lat)


def home_point(booking: Booking) -> tuple[float, float]:
    """(lon, lat) of a delivery's door, for routing (a point is needed, even a poor one)."""
    lon, lat = door_of(booking.elder)
    return (lon or 0.0, lat or 0.0)


def stop_links(stop: Booking) -> StopLinks:
    """Only for a courier's own stops (the page asks `runs_for` first)."""
    elder = stop.elder
    profile = getattr(elder, "meal_profile", None)
    lon, lat = home_point(stop)
    name = quote(elder.residence.name)
    return StopLinks(
        elder_phone=crypto.decrypt(elder.phone_encrypted) if elder.phone_encrypted else "",
        elder_phone_masked=elder.phone_masked,
        contact_name=profile.contact_name if profile else "",
        contact_phone=crypto.decrypt(profile.contact_phone_encrypted)
        if profile and profile.contact_phone_encrypted
        else "",
        contact_phone_masked=profile.contact_phone_masked if profile else "",
        # Amap's navigation link opens the app on the phone (or its web page); the points
        # are WGS-84, which it converts itself.
        navigate=f"https://uri.amap.com/navigation?to={lon:.6f},{lat:.6f},{name}"
        f"&mode=walk&coordinate=wgs84&callnative=1",
    )


def alerts_for(actor: Any, *, open_only: bool = True) -> QuerySet[WellnessAlert]:
    require_cap(actor, Cap.ALERT_CLOSE, "查看关爱提醒", "see wellness alerts")
    alerts = WellnessAlert.objects.filter(
        scope_for(actor).region_q("village__path")
    ).select_related("elder", "village", "booking__canteen", "raised_by")
    return alerts.filter(closed_at__isnull=True) if open_only else alerts


@dataclass
class UpcomingMeal:
    day: dt.date
    session: str
    canteen: Canteen
    mode: str
    status: str
    from_plan: bool
    cutoff_passed: bool

    @property
    def session_label(self) -> str:
        return str(dict(SESSION_CHOICES)[self.session])

    @property
    def status_label(self) -> str:
        if self.status == "paused":
            return str(_("paused"))
        return str(BookingStatus(self.status).label)


def elder_upcoming(elder: Elder, first: dt.date, days: int = 14) -> list[UpcomingMeal]:
    """The elder's meals in the coming days: booked rows and standing bookings' days."""
    last = first + dt.timedelta(days=days - 1)
    rows = {
        (row.date, row.session): row
        for row in Booking.objects.filter(elder=elder, date__range=(first, last)).select_related(
            "canteen"
        )
    }
    plans = list(
        BookingPlan.objects.filter(elder=elder, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .select_related("canteen")
        .prefetch_related("pauses")
    )
    now = clock.now()
    meals = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for session in ("breakfast", "lunch", "dinner"):
            row = rows.get((day, session))
            if row is not None:
                meals.append(
                    UpcomingMeal(
                        day,
                        session,
                        row.canteen,
                        row.mode,
                        row.status,
                        row.plan_id is not None,
                        now >= row.canteen.booking_closes_at(day),
                    )
                )
                continue
            for plan in plans:
                if plan.session == session and plan.runs_on(day):
                    status = "paused" if plan.paused_on(day) else BookingStatus.BOOKED
                    meals.append(
                        UpcomingMeal(
                            day,
                            session,
                            plan.canteen,
                            plan.mode,
                            status,
                            True,
                            now >= plan.canteen.booking_closes_at(day),
                        )
                    )
    return meals


def bookable_canteens(elder: Elder) -> QuerySet[Canteen]:
    """Open canteens of the elder's district, nearest town first in the list."""
    district = "/".join(elder.residence.path.split("/")[:2]) + "/"
    return Canteen.objects.filter(
        status=CanteenStatus.OPEN, village__path__startswith=district
    ).order_by("code")


# How far back a meal, and how far either way a booking, makes an elder a canteen's regular.
REGULAR_MEAL_DAYS = 60
REGULAR_BOOKING_DAYS = 7


def canteen_regulars(canteen: Canteen, today: dt.date, limit: int) -> list[int]:
    """The elders a counter should recognise while offline: who ate at or booked with the
    canteen lately, and who lives in its village (newest elders first, at most `limit`)."""
    ate = Meal.objects.filter(
        canteen=canteen, business_date__gte=today - dt.timedelta(days=REGULAR_MEAL_DAYS)
    ).values("elder_id")
    window = dt.timedelta(days=REGULAR_BOOKING_DAYS)
    booked = Booking.objects.filter(
        canteen=canteen, date__range=(today - window, today + window)
    ).values("elder_id")
    return list(
        Elder.objects.active()
        .filter(Q(pk__in=ate) | Q(pk__in=booked) | Q(residence_id=canteen.village_id))
        .order_by("-pk")
        .values_list("pk", flat=True)[:limit]
    )
