"""Demo booking and delivery: some canteens deliver, their eligible elders have standing
lunch orders, regulars book to eat in, and today's lunch round is planned and half done
(one door unanswered), so every new page has something to show on the first visit."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.bookings.models import BookingMode, BookingPlan, Diet, MealProfile
from tongzhou.bookings.selectors import run_stops
from tongzhou.bookings.services import (
    delivery_done,
    delivery_no_answer,
    delivery_plan,
    delivery_refusal,
)
from tongzhou.canteens.models import Canteen
from tongzhou.core import clock
from tongzhou.elders.models import Elder, ElderStatus

DELIVERING = ("ZS-DH-001", "ZS-DH-005", "ZS-PT-003")
CANDIDATES_PER_TOWN = 300  # looked at for eligibility: enough for a demo, quick at city scale
ORDERS_PER_CANTEEN = 12
REGULARS_PER_CANTEEN = 10
DIET_CHOICES = [
    [],
    [],
    [],
    [Diet.LOW_SALT],
    [Diet.LOW_SUGAR],
    [Diet.SOFT],
    [Diet.LOW_SALT, Diet.SOFT],
]


@dataclass
class MealServiceDemo:
    delivery_orders: int
    eat_in_regulars: int
    delivered_today: int


def _near(rng: random.Random, lon: float, lat: float, metres: float = 400) -> tuple[float, float]:
    angle, distance = rng.random() * 2 * math.pi, rng.random() * metres
    dlat = distance * math.sin(angle) / 111_320
    dlon = distance * math.cos(angle) / (111_320 * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


def build_meal_service(admin: User, rng: random.Random, canteens: list[Canteen]) -> MealServiceDemo:
    today = clock.today()
    start = today - dt.timedelta(days=30)
    delivering = [c for c in canteens if c.code in DELIVERING]
    Canteen.objects.filter(pk__in=[c.pk for c in delivering]).update(delivers=True)
    profiles: list[MealProfile] = []
    plans: list[BookingPlan] = []
    taken: set[int] = set()
    for canteen in delivering:
        canteen.delivers = True
        town_path = canteen.village.path.rsplit("/", 2)[0] + "/"
        candidates = (
            Elder.objects.filter(status=ElderStatus.ACTIVE, residence__path__startswith=town_path)
            .select_related("residence")
            .order_by("pk")[:CANDIDATES_PER_TOWN]
        )
        chosen = [e for e in candidates if delivery_refusal(e, canteen, today) is None]
        for elder in chosen[:ORDERS_PER_CANTEEN]:
            taken.add(elder.pk)
            lon, lat = _near(
                rng, elder.residence.lon or canteen.lon, elder.residence.lat or canteen.lat
            )
            profiles.append(
                MealProfile(
                    elder=elder,
                    diets=rng.choice(DIET_CHOICES),
                    home_lon=lon,
                    home_lat=lat,
                    allergies="花生" if rng.random() < 0.1 else "",
                )
            )
            plans.append(
                BookingPlan(
                    elder=elder,
                    canteen=canteen,
                    session="lunch",
                    mode=BookingMode.DELIVERY,
                    weekdays="1234567",
                    starts_on=start,
                    booked_by="demo",
                )
            )
    deliveries = len(plans)
    for canteen in canteens:
        regulars = (
            Elder.objects.filter(status=ElderStatus.ACTIVE, residence=canteen.village)
            .exclude(pk__in=taken)
            .order_by("pk")[:REGULARS_PER_CANTEEN]
        )
        for elder in regulars:
            taken.add(elder.pk)
            plans.append(
                BookingPlan(
                    elder=elder,
                    canteen=canteen,
                    session="lunch",
                    mode=BookingMode.EAT_IN,
                    weekdays="12345",
                    starts_on=start,
                    booked_by="demo",
                )
            )
    MealProfile.objects.bulk_create(profiles)
    BookingPlan.objects.bulk_create(plans)
    return MealServiceDemo(deliveries, len(plans) - deliveries, _todays_round(admin, delivering))


def _todays_round(admin: User, delivering: list[Canteen]) -> int:
    """Plan today's lunch round at each delivering canteen and record its first half."""
    today, done = clock.today(), 0
    for canteen in delivering:
        couriers = list(
            User.objects.filter(canteen=canteen, role=Role.DELIVERY_VOLUNTEER, is_active=True)
        )
        if not couriers:
            continue
        for run in delivery_plan(
            actor=admin, canteen=canteen, day=today, session="lunch", couriers=couriers
        ):
            stops = run_stops(run)
            handled = stops[: len(stops) // 2]
            unanswered = None
            if canteen.code == DELIVERING[0] and stops:
                # A door in the canteen's own village (the demo community worker's) goes
                # unanswered, so her page has an alert to close.
                unanswered = next(
                    (s for s in stops if s.elder.residence_id == canteen.village_id), stops[0]
                )
                handled = [s for s in handled if s != unanswered] + [unanswered]
            for stop in handled:
                if stop == unanswered:
                    delivery_no_answer(actor=run.courier, booking_id=stop.pk, note="敲门无人应答")
                else:
                    delivery_done(actor=run.courier, booking_id=stop.pk)
                    done += 1
    return done
