"""Care benchmark (not a test), on SQLite at city scale: the city's due list for a day (visits
and orders) and the discovery scan over a year of meals, each beside the bare database doing
the same count in the same run.

    .venv/bin/python bench/care/run.py [--rebuild] [--meals-per-day 10000] [--repeat 3]

The data is built once into var/bench/care.sqlite3: `generate_demo --scale city` (300,000
elders, their entitlements, this period's visits and a year of past visits and orders) and a
year of meals for the regular diners, a few of whom stopped coming lately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DB = ROOT / "var" / "bench" / "care.sqlite3"
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TONGZHOU_ENV_FILE", str(ROOT / "var" / "local.env"))

import django  # noqa: E402

DUE_TARGET_S, SCAN_TARGET_S = 2.0, 30.0


def manage(*args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        check=True,
        cwd=ROOT,
        env=os.environ.copy(),
    )


def build() -> None:
    DB.parent.mkdir(parents=True, exist_ok=True)
    for path in DB.parent.glob(DB.name + "*"):
        path.unlink()
    started = time.perf_counter()
    manage("migrate", "-v0")
    manage("load_zhoushan")
    manage("load_default_policy")
    manage("generate_demo", "--scale", "city")
    print(f"city demo built in {time.perf_counter() - started:.0f} s")


def year_of_meals(per_day: int) -> int:
    """Regular diners eat on about 3 days in 10; one in fifty stopped 9 to 20 days ago. Each
    meal copies a real sale of the demo (so every check holds) with another elder and day."""
    from django.db import connection, transaction

    from tongzhou.core import clock
    from tongzhou.elders.models import Elder
    from tongzhou.meals.models import Meal

    rng = random.Random(7)
    today = clock.today()
    elders = list(Elder.objects.filter(status="active").values_list("pk", flat=True))
    diners = rng.sample(elders, min(len(elders), per_day * 10 // 3))
    template = Meal.objects.filter(reversal__isnull=True).order_by("pk").first()
    assert template is not None, "the demo sold no meal to copy"
    columns = [str(f.column) for f in Meal._meta.concrete_fields if f.column != "id"]
    made = {
        "elder_id": "g.elder_id",
        "business_date": "g.day",
        "receipt_no": "'Y' || g.n",
        "client_receipt_no": "'Y' || g.n",
        "created_at": "g.day || ' 03:30:00'",
        "device_time": "NULL",
        "journal_id": "%s + g.n",
    }
    select = ", ".join(made.get(c, f't."{c}"') for c in columns)
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE g (n INTEGER, elder_id INTEGER, day TEXT)")
        batch: list[tuple[int, int, str]] = []
        for elder_id in diners:
            stopped = rng.randrange(9, 21) if rng.random() < 0.02 else 0
            for back in range(stopped, 365):
                if rng.random() < 0.3:
                    count += 1
                    batch.append((count, elder_id, (today - dt.timedelta(days=back)).isoformat()))
            if len(batch) > 200_000:
                cursor.executemany("INSERT INTO g VALUES (%s, %s, %s)", batch)
                batch = []
        cursor.executemany("INSERT INTO g VALUES (%s, %s, %s)", batch)
        # Each sale has its own journal: one per generated row, numbered in the same order.
        cursor.execute("SELECT coalesce(max(id), 0) FROM ledger_journal")
        base = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_journal (id, kind, business_date, created_at, memo) "
            "SELECT %s + n, 'meal', day, day || ' 03:30:00', 'bench' FROM g ORDER BY n",
            [base],
        )
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.execute(
            f"INSERT INTO meals_meal ({quoted}) "
            f"SELECT {select} FROM g, meals_meal AS t WHERE t.id = %s",
            [base, template.pk],
        )
    return count


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    runs, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--meals-per-day", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.rebuild or not DB.exists():
        build()
    django.setup()
    from tongzhou.meals.models import Meal

    if not Meal.objects.filter(receipt_no__startswith="Y").exists():
        started = time.perf_counter()
        meals = year_of_meals(args.meals_per_day)
        print(f"a year of meals: {meals:,} in {time.perf_counter() - started:.0f} s")
    from django.db import connection

    from tongzhou.accounts.models import User
    from tongzhou.care.models import ServiceOrder
    from tongzhou.care.selectors import orders_for_staff
    from tongzhou.core import clock
    from tongzhou.discovery.services import discovery_scan
    from tongzhou.elders.models import Elder
    from tongzhou.meals.models import Meal
    from tongzhou.visits.models import ScheduledVisit
    from tongzhou.visits.selectors import due_list

    day = clock.today()
    city = User.objects.get(username="city")
    print(
        f"SQLite {sqlite3.sqlite_version}; {Elder.objects.count():,} elders, "
        f"{ScheduledVisit.objects.count():,} visits, {ServiceOrder.objects.count():,} orders, "
        f"{Meal.objects.count():,} meals; day {day}"
    )

    def platform_due() -> tuple[int, int, int]:
        visits = due_list(city, day)
        first_page = list(visits[:50])
        orders = orders_for_staff(city, status="accepted").filter(window_start__date__lte=day)
        return visits.count(), len(first_page), orders.count()

    bare = sqlite3.connect(DB)

    def bare_due() -> tuple[int, int, int]:
        where = "(status = 'open' AND opens <= ?) OR status = 'missed'"
        count = bare.execute(
            f"SELECT count(*) FROM visits_scheduledvisit WHERE {where}", [day.isoformat()]
        ).fetchone()[0]
        page = bare.execute(
            f"SELECT * FROM visits_scheduledvisit WHERE {where} ORDER BY closes, due, id LIMIT 50",
            [day.isoformat()],
        ).fetchall()
        orders = bare.execute(
            "SELECT count(*) FROM care_serviceorder WHERE status = 'accepted' AND "
            "date(window_start) <= ?",
            [day.isoformat()],
        ).fetchone()[0]
        return count, len(page), orders

    ours, due = timed(platform_due, args.repeat)
    reference, bare_answer = timed(bare_due, args.repeat)
    print(
        f"due list   platform {ours:6.3f} s  bare {reference:6.3f} s  "
        f"ratio {ours / reference:5.1f}x"
        f"  ({due[0]:,} visits due, {due[2]:,} orders)  target ≤ {DUE_TARGET_S} s"
        f"  {'met' if ours <= DUE_TARGET_S else 'NOT met'}"
    )
    assert due[0] == bare_answer[0], (due, bare_answer)

    first_start = time.perf_counter()
    first = discovery_scan(day=day)
    first_s = time.perf_counter() - first_start
    again, result = timed(lambda: discovery_scan(day=day), args.repeat)
    since = (day - dt.timedelta(days=365)).isoformat()
    reference, rows = timed(
        lambda: bare.execute(
            "SELECT elder_id, count(*), max(business_date) FROM meals_meal "
            "WHERE business_date >= ? GROUP BY elder_id",
            [since],
        ).fetchall(),
        args.repeat,
    )
    print(
        f"discovery  platform {first_s:6.3f} s first run (then {again:.3f} s)  bare one pass "
        f"over the year's meals {reference:6.3f} s ({len(rows):,} diners)  ratio "
        f"{first_s / reference:5.1f}x  target ≤ {SCAN_TARGET_S} s"
        f"  {'met' if first_s <= SCAN_TARGET_S else 'NOT met'}"
    )
    for code in sorted(first.hits):
        print(
            f"  {code:22s} {first.hits[code]:7,} found  {first.opened[code]:7,} opened  "
            f"{first.seconds[code]:6.3f} s"
        )
    del result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")
    connection.close()


if __name__ == "__main__":
    main()
