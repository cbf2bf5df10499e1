"""The soak's data beyond the checkout benchmark's terminals and cards (run by `run.py` in
the benchmark's environment): QR identities, a village worker's elders to book for, today's
delivery round for a courier, and the canteen whose kitchen sheet is opened. Written to
`var/bench/soak.json`. Cards are taken from the end of the card list, which the counters'
sales (from its start) do not reach in a soak's length."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()


from tongzhou.accounts.models import User  # noqa: E402
from tongzhou.bookings import services as bookings  # noqa: E402
from tongzhou.bookings.models import Booking, BookingPlan  # noqa: E402
from tongzhou.bookings.selectors import bookable_canteens  # noqa: E402
from tongzhou.canteens.models import Dish, MealSession, Menu, MenuItem, Terminal  # noqa: E402
from tongzhou.core import clock  # noqa: E402
from tongzhou.core.errors import DomainError  # noqa: E402
from tongzhou.elders.models import Elder, ElderStatus  # noqa: E402
from tongzhou.identity.models import Card  # noqa: E402
from tongzhou.identity.services import qr_identity_for  # noqa: E402

QR_ELDERS = 12_000
OFFLINE_CARDS = 6_000
DELIVERIES = 300
BOOKERS = 200


def main(cards_file: Path, terminals_file: Path, out: Path) -> None:
    cards = cards_file.read_text().split()
    reserved = cards[-(QR_ELDERS + OFFLINE_CARDS) :]
    qr_numbers, offline_numbers = reserved[:QR_ELDERS], reserved[QR_ELDERS:]
    qr_elders = Card.objects.filter(
        elder_id__in=[int(n[4:]) for n in qr_numbers], status="active"
    ).values_list("elder_id", flat=True)
    identities = [qr_identity_for(Elder(pk=elder_id)) for elder_id in qr_elders]

    booked_for = []
    # Elders with no standing booking and nothing booked yet for the day the soak books.
    day = clock.today() + dt.timedelta(days=2)
    for elder in (
        Elder.objects.filter(status=ElderStatus.ACTIVE, residence__code="330902002001")
        .exclude(pk__in=BookingPlan.objects.values("elder_id"))
        .exclude(pk__in=Booking.objects.filter(date=day).values("elder_id"))
        .order_by("pk")[:BOOKERS]
    ):
        canteen = bookable_canteens(elder).first()
        if canteen is not None:
            booked_for.append({"elder": elder.pk, "canteen": canteen.pk})

    # Today's dinner round, booked yesterday (before the cut-off) and planned now, with dinner
    # open all day like the lunch (the demo delivers lunches on the day it is built, and a
    # round is fixed once it has started).
    today = clock.today()
    MealSession.objects.filter(kind="dinner").update(
        starts_at=dt.time(0), ends_at=dt.time(23, 59, 59)
    )
    courier = User.objects.select_related("canteen").get(username="courier1")
    canteen = courier.canteen
    assert canteen is not None, "the demo's courier1 delivers for a canteen"
    manager = User.objects.get(username="canteen1")
    real_now = clock.now
    clock.now = lambda: real_now() - dt.timedelta(days=1, hours=real_now().hour)
    admin = User.objects.get(username="admin")
    taken = {int(n[4:]) for n in cards}
    made = Booking.objects.filter(canteen=canteen, date=today, session="dinner").count()
    town = canteen.village.parent or canteen.village
    nearby = Elder.objects.filter(
        status=ElderStatus.ACTIVE,
        residence__path__startswith=town.path,
        accounts__kind="elder_own",
        accounts__balance_fen__gte=3000,  # the meal and its delivery fee are paid
    )
    for elder in nearby.order_by("pk").iterator():
        if made >= DELIVERIES:
            break
        if elder.pk in taken:  # the counters sell to them
            continue
        try:
            bookings.booking_create(actor=admin, elder=elder, canteen=canteen, day=today,
                                    session="dinner", mode="delivery")  # fmt: skip
            made += 1
        except DomainError:
            continue
    clock.now = real_now
    bookings.delivery_plan(actor=manager, canteen=canteen, day=today, session="dinner",
                           couriers=[courier])  # fmt: skip
    stops = list(
        Booking.objects.filter(
            canteen=canteen, date=today, session="dinner", mode="delivery", status="booked"
        ).values_list("pk", flat=True)
    )
    # Dinner menus for the elders' second meal (`run.py` sells lunch, then dinner).
    dinner_items = {}
    for line in terminals_file.read_text().splitlines():
        key_id = line.split()[0].split("_")[1]
        terminal = Terminal.objects.select_related("canteen").get(key_id=key_id)
        menu, new_menu = Menu.objects.get_or_create(
            canteen=terminal.canteen, date=today, session="dinner"
        )
        if new_menu:
            MenuItem.objects.bulk_create(
                MenuItem(menu=menu, dish=dish, price_fen=dish.price_fen)
                for dish in Dish.objects.filter(canteen=terminal.canteen)
            )
        dinner_items[key_id] = ",".join(str(pk) for pk in menu.items.values_list("pk", flat=True))
    out.write_text(
        json.dumps(
            {
                "qr": [[i.token, i.key_version] for i in identities],
                "offline_cards": offline_numbers,
                "bookings": booked_for,
                "stops": stops,
                "kitchen_canteen": User.objects.get(username="canteen1").canteen_id,
                "courier": courier.username,
                "dinner_items": dinner_items,
            }
        )
    )
    print(
        f"soak data: {len(identities)} QR identities, {len(offline_numbers)} offline cards, "
        f"{len(booked_for)} elders to book for, {len(stops)} delivery stops"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
