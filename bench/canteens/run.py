"""Canteen oversight benchmark (not a test), on SQLite at city scale: the food-safety trace's
list of who ate a dish on a day, beside the bare database answering the same question in the
same run.

    .venv/bin/python bench/canteens/run.py [--rebuild] [--meals-per-day 10000] [--repeat 5]

The data is built once into var/bench/canteens.sqlite3 as the care benchmark builds its own
(`generate_demo --scale city`: 300,000 elders) with a year of meals for the regular diners,
spread over the city's canteens. The trace is timed on the busiest canteen-day.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.care import run as care  # noqa: E402 - sets up the same way, on its own database

DB = ROOT / "var" / "bench" / "canteens.sqlite3"
care.DB = DB
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

import django  # noqa: E402

TRACE_TARGET_S = 1.0


def spread_over_canteens() -> None:
    """The generated meals copy one sale (one canteen): deal them out over every canteen that
    sells at a counter, as the city's sales are."""
    from django.db import connection, transaction

    from tongzhou.canteens.models import Canteen

    ids = list(Canteen.objects.exclude(kind="central_kitchen").values_list("pk", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        for n, pk in enumerate(ids):
            cursor.execute(
                "UPDATE meals_meal SET canteen_id = %s WHERE receipt_no LIKE 'Y%%' "
                "AND id %% %s = %s",
                [pk, len(ids), n],
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--meals-per-day", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.rebuild or not DB.exists():
        care.build()
    care.manage("migrate", "-v0")  # a database built by an earlier version catches up
    django.setup()
    from django.db.models import Count

    from tongzhou.canteens.models import Dish
    from tongzhou.elders.models import Elder
    from tongzhou.meals.models import Meal
    from tongzhou.oversight.selectors import who_ate

    if not Meal.objects.filter(receipt_no__startswith="Y").exists():
        started = time.perf_counter()
        made = care.year_of_meals(args.meals_per_day)
        spread_over_canteens()
        print(f"a year of meals: {made:,} in {time.perf_counter() - started:.0f} s")
    busiest = (
        Meal.objects.values("canteen_id", "business_date")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None
    canteen_id, day = busiest["canteen_id"], busiest["business_date"]
    meal = Meal.objects.filter(canteen_id=canteen_id, business_date=day).first()
    assert meal is not None
    name = meal.lines[0]["name"]
    dish, _created = Dish.objects.get_or_create(
        canteen_id=canteen_id, name=name, defaults={"price_fen": meal.lines[0]["unit_fen"]}
    )
    print(
        f"SQLite {sqlite3.sqlite_version}; {Elder.objects.count():,} elders, "
        f"{Meal.objects.count():,} meals; busiest canteen-day {day} with {busiest['n']:,} "
        f"sales; dish “{name}”"
    )

    bare = sqlite3.connect(DB)

    def bare_list() -> int:
        rows = bare.execute(
            "SELECT DISTINCT e.id, e.name, e.phone_masked, r.name FROM meals_meal m "
            "JOIN elders_elder e ON e.id = m.elder_id LEFT JOIN geo_region r "
            "ON r.id = e.residence_id WHERE m.canteen_id = ? AND m.business_date = ? "
            "AND m.status != 'voided' AND EXISTS (SELECT 1 FROM json_each(m.lines) j "
            "WHERE json_extract(j.value, '$.name') = ?)",
            [canteen_id, day.isoformat(), name],
        ).fetchall()
        return len(rows)

    ours, eaters = care.timed(lambda: who_ate(canteen_id, day, dish), args.repeat)
    reference, bare_count = care.timed(bare_list, args.repeat)
    print(
        f"trace list  platform {ours:6.3f} s  bare {reference:6.3f} s  "
        f"ratio {ours / reference:5.1f}x  ({len(eaters):,} elders)  target ≤ {TRACE_TARGET_S} s"
        f"  {'met' if ours <= TRACE_TARGET_S else 'NOT met'}"
    )
    assert len(eaters) == bare_count, (len(eaters), bare_count)


if __name__ == "__main__":
    main()
