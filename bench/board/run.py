"""Board benchmark (not a test), on SQLite at city scale: every computed indicator recomputed
for all 469 units for the month (and the year, for the yearly ones), beside the bare database
doing the same sums in the same run; and the board page from stored values.

    .venv/bin/python bench/board/run.py [--rebuild] [--meals-per-day 10000] [--repeat 3]

The data is built once into var/bench/board.sqlite3, as the care benchmark builds its own:
`generate_demo --scale city` (300,000 elders, a year of visits and orders, the network) and a
year of meals for the regular diners.
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

DB = ROOT / "var" / "bench" / "board.sqlite3"
care.DB = DB
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

import django  # noqa: E402

RECOMPUTE_TARGET_S, PAGE_TARGET_S = 10.0, 0.3


def bare_sums(db: Path, month: str) -> int:
    """The same month's sums the plain way: meals and subsidy per village, visits due and
    made per village, canteens per village, elders per village for the rates."""
    first = f"{month[:4]}-{month[4:]}-01"
    bare = sqlite3.connect(db)
    queries = [
        (
            "SELECT c.village_id, count(*), sum(m.subsidy_fen) FROM meals_meal m JOIN "
            "canteens_canteen c ON c.id = m.canteen_id WHERE m.status = 'completed' AND "
            "m.business_date BETWEEN ? AND date(?, '+1 month', '-1 day') GROUP BY c.village_id",
            [first, first],
        ),
        (
            "SELECT village_id, count(DISTINCT elder_id) FROM visits_scheduledvisit WHERE due "
            "BETWEEN ? AND date(?, '+1 month', '-1 day') AND status != 'cancelled' "
            "GROUP BY village_id",
            [first, first],
        ),
        (
            "SELECT residence_id, count(*) FROM elders_elder WHERE status = 'active' "
            "GROUP BY residence_id",
            [],
        ),
        (
            "SELECT village_id, count(*) FROM canteens_canteen WHERE status = 'open' "
            "GROUP BY village_id",
            [],
        ),
    ]
    return sum(len(bare.execute(sql, params).fetchall()) for sql, params in queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--meals-per-day", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.rebuild or not DB.exists():
        care.build()
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from tongzhou.accounts.models import User
    from tongzhou.board.models import DataValue, Indicator
    from tongzhou.board.services import board_recompute
    from tongzhou.core import clock
    from tongzhou.meals.models import Meal

    if not Meal.objects.filter(receipt_no__startswith="Y").exists():
        started = time.perf_counter()
        print(
            f"a year of meals: {care.year_of_meals(args.meals_per_day):,} "
            f"in {time.perf_counter() - started:.0f} s"
        )
    call_command("load_board_catalogue")
    day = clock.today()
    computed = Indicator.objects.exclude(function="").count()
    print(
        f"SQLite {sqlite3.sqlite_version}; {Meal.objects.count():,} meals; "
        f"{computed} computed indicators; day {day}"
    )
    ours, written = care.timed(lambda: board_recompute(day=day), args.repeat)
    bare, rows = care.timed(lambda: bare_sums(DB, f"{day:%Y%m}"), args.repeat)
    print(
        f"recompute  platform {ours:6.2f} s ({written:,} values for every unit)  "
        f"bare {bare:6.2f} s (four group-bys, {rows:,} rows; no roll-up, no store)  "
        f"target <= {RECOMPUTE_TARGET_S} s  {'met' if ours <= RECOMPUTE_TARGET_S else 'NOT met'}"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="city"))
    client.get("/board/")  # the first answer warms the process
    page, answer = care.timed(lambda: client.get("/board/"), max(args.repeat, 5))
    stored, _ = care.timed(
        lambda: list(DataValue.objects.filter(region__code="330900")), max(args.repeat, 5)
    )
    print(
        f"board page {page * 1000:6.0f} ms (status {answer.status_code})  "
        f"bare read of the city's stored values {stored * 1000:5.0f} ms  "
        f"target <= {PAGE_TARGET_S * 1000:.0f} ms  {'met' if page <= PAGE_TARGET_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
