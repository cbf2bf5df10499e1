"""Settlement benchmark (not a test): N million synthetic sales of a province-scale year in
Parquet; times the statement figures built by our code (tongzhou.settlement.analytics: per
month and canteen, every funder, sessions, voids and refunds, elder-days) beside the bare
engine's minimal aggregation over the same files, and prints both and the ratio.

    .venv/bin/python bench/settlement/run.py [--millions 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import django
import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TONGZHOU_ENV_FILE", str(ROOT / "var" / "local.env"))
django.setup()  # the funders' definitions live with the models

from tongzhou.settlement.analytics import bare_aggregate, monthly_figures  # noqa: E402

# The same statement figures written by hand for the engine (no code of ours around it):
# what the columnar engine itself needs for this work.
BY_HAND = """
SELECT * FROM (
    SELECT date_trunc('month', business_date) AS month, canteen_id, count(*), sum(total_fen),
           sum(district_fen + delivery_subsidy_fen + subsidy_purse_fen), sum(city_fen),
           sum(charity_fen + charity_purse_fen), sum(own_fen), sum(canteen_discount_fen),
           count(*) FILTER (WHERE session = 'breakfast'),
           count(*) FILTER (WHERE session = 'lunch'), count(*) FILTER (WHERE session = 'dinner')
    FROM read_parquet($source) GROUP BY ALL
) FULL OUTER JOIN (
    SELECT date_trunc('month', reversal_date) AS month, canteen_id, count(*), sum(total_fen),
           sum(district_fen + delivery_subsidy_fen + subsidy_purse_fen), sum(city_fen),
           sum(charity_fen + charity_purse_fen), sum(own_fen), sum(canteen_discount_fen)
    FROM read_parquet($source) WHERE reversal_date IS NOT NULL GROUP BY ALL
) USING (month, canteen_id) LEFT JOIN (
    SELECT date_trunc('month', business_date) AS month, canteen_id, count(*)
    FROM (SELECT DISTINCT canteen_id, elder_id, business_date FROM read_parquet($source)
          WHERE reversal_date IS NULL) GROUP BY ALL
) USING (month, canteen_id)
"""

T = TypeVar("T")
CANTEENS = 3_000
ELDERS = 2_000_000

# One row per sale of 2026: amounts split as the checkout splits them (the parts add up to
# the total), about 1 in 200 later voided or refunded.
SYNTHETIC = f"""
COPY (
    WITH base AS (
        SELECT i AS id,
               hash(i) % {CANTEENS} AS canteen_id,
               hash(i * 7 + 1) % {ELDERS} AS elder_id,
               DATE '2026-01-01' + CAST(hash(i * 13 + 2) % 365 AS INTEGER) AS business_date,
               ['breakfast', 'lunch', 'lunch', 'lunch', 'dinner']
                   [CAST(1 + hash(i * 17 + 3) % 5 AS BIGINT)] AS session,
               1000 + (hash(i * 19 + 4) % 11) * 100 AS total_fen,
               (hash(i * 23 + 5) % 4) * 100 AS elder_pays,
               hash(i * 29 + 6) % 200 = 0 AS reversed
        FROM range($rows) AS t(i)
    )
    SELECT id, canteen_id, elder_id, business_date, session,
           CASE WHEN reversed THEN business_date + 1 END AS reversal_date,
           total_fen,
           (total_fen - elder_pays) * 5 // 10 AS district_fen,
           0 AS delivery_subsidy_fen, 0 AS subsidy_purse_fen,
           (total_fen - elder_pays) * 4 // 10 AS city_fen,
           (total_fen - elder_pays) - (total_fen - elder_pays) * 5 // 10
               - (total_fen - elder_pays) * 4 // 10 AS charity_fen,
           0 AS charity_purse_fen, elder_pays AS own_fen, 0 AS canteen_discount_fen
    FROM base
) TO '{{path}}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""


def timed(work: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median time of `repeat` runs, and the last result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--millions", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = int(args.millions * 1_000_000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sales-2026.parquet"
        started = time.perf_counter()
        duckdb.execute(SYNTHETIC.format(path=path), {"rows": rows})
        made = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        print(f"{rows:,} synthetic sales written to Parquet in {made:.1f} s ({size:.0f} MB)")
        engine = duckdb.connect()
        ours, figures = timed(lambda: monthly_figures(path), args.repeat)
        by_hand, rows_by_hand = timed(
            lambda: engine.execute(BY_HAND, {"source": str(path)}).fetchall(), args.repeat
        )
        bare, _groups = timed(lambda: bare_aggregate(path), args.repeat)
        assert len(rows_by_hand) == len(figures)
        months = {f.month for f in figures}
        print(
            f"statement figures, our code:       {ours:6.2f} s "
            f"({len(figures):,} canteen-months, {len(months)} months)"
        )
        print(f"same figures, engine by hand:      {by_hand:6.2f} s")
        print(
            f"engine's one-sum group-by:         {bare:6.2f} s "
            "(SELECT canteen_id, sum(total_fen) GROUP BY canteen_id)"
        )
        print(f"ratio ours / engine by hand:       {ours / by_hand:6.2f}x  (aim: within 2x)")
        print(f"ratio ours / one-sum group-by:     {ours / bare:6.2f}x")
        print(
            f"10M-sale pace (ours):              {ours / rows * 1e7:6.2f} s per 10M (aim: < 30 s)"
        )


if __name__ == "__main__":
    main()
