"""Settlement aggregates at province scale: the same figures as a statement (per funder,
sales less voids and refunds, meals per session, elder-days served), computed by DuckDB over
Parquet files instead of the operational database.

`export_meals` writes the operational sales to Parquet; `monthly_figures` aggregates any
Parquet files of that shape (exports, or a province's year) per month and canteen.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tongzhou.meals.models import Meal
from tongzhou.settlement.amounts import FUNDERS, MEAL_FIELDS, funder_sql

MONEY_COLUMNS = tuple(dict.fromkeys(name for names in MEAL_FIELDS.values() for name in names))
COLUMNS = (
    "id", "canteen_id", "elder_id", "business_date", "session", "reversal_date", "total_fen",
    *MONEY_COLUMNS,
)  # fmt: skip
SESSIONS = ("breakfast", "lunch", "dinner")


def export_meals(path: Path, start: dt.date, end: dt.date, chunk: int = 50_000) -> int:
    """Sales dated in [start, end] (with the date of their void or refund, if any) to a
    Parquet file; returns the number of rows."""
    meals = (
        Meal.objects.filter(business_date__range=(start, end))
        .order_by("pk")
        .values_list(
            "pk",
            "canteen_id",
            "elder_id",
            "business_date",
            "session",
            "reversal__business_date",
            "total_fen",
            *MONEY_COLUMNS,
        )
    )
    rows = 0
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", encoding="utf-8") as staging:
        writer = csv.writer(staging)
        writer.writerow(COLUMNS)
        for row in meals.iterator(chunk_size=chunk):
            writer.writerow(row)
            rows += 1
        staging.flush()
        kinds = {"business_date": "DATE", "reversal_date": "DATE", "session": "VARCHAR"}
        types = {name: kinds.get(name, "BIGINT") for name in COLUMNS}  # in the file's order
        # Both paths are the platform's own (a temporary file and the caller's target).
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{staging.name}', header=true, columns={types!r}))"  # noqa: S608
            f" TO '{path}' (FORMAT parquet)"
        )
    return rows


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    canteen_id: int
    meals: int
    reversals: int
    total_fen: int  # sales less reversals
    funders: dict[str, int]  # net per funder, as on the statement
    by_session: dict[str, int]
    elder_days: int


def monthly_figures(source: str | Path, *, threads: int | None = None) -> list[MonthFigures]:
    """Per month and canteen: what a statement says, for every month in the files."""
    sales = ", ".join(
        [f"sum({funder_sql(f)}) AS sale_{f}" for f in FUNDERS]
        + [f"count(*) FILTER (WHERE session = '{s}') AS session_{s}" for s in SESSIONS]
    )
    reversed_ = ", ".join(f"sum({funder_sql(f)}) AS rev_{f}" for f in FUNDERS)
    # Built from the platform's own column names only; the file name is a parameter. Each
    # part reads the files itself: a shared CTE would be materialised with every column.
    query = f"""
        WITH sold AS (
            SELECT date_trunc('month', business_date) AS month, canteen_id,
                   count(*) AS meals, sum(total_fen) AS total, {sales}
            FROM read_parquet($source) GROUP BY ALL
        ),
        undone AS (
            SELECT date_trunc('month', reversal_date) AS month, canteen_id,
                   count(*) AS reversals, sum(total_fen) AS total_back, {reversed_}
            FROM read_parquet($source) WHERE reversal_date IS NOT NULL GROUP BY ALL
        ),
        served AS (  -- elder-days: an elder served on a day counts once per canteen
            SELECT date_trunc('month', business_date) AS month, canteen_id, count(*) AS elder_days
            FROM (SELECT DISTINCT canteen_id, elder_id, business_date
                  FROM read_parquet($source) WHERE reversal_date IS NULL)
            GROUP BY ALL
        )
        SELECT * FROM sold FULL OUTER JOIN undone USING (month, canteen_id)
            LEFT JOIN served USING (month, canteen_id)
        ORDER BY month, canteen_id
    """  # noqa: S608
    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    cursor = connection.execute(query, {"source": str(source)})
    names = [column[0] for column in cursor.description]
    figures = []
    for values in cursor.fetchall():
        row: dict[str, Any] = {
            name: value if name == "month" else (value or 0)
            for name, value in zip(names, values, strict=True)
        }
        month = row["month"]
        figures.append(
            MonthFigures(
                month=month.date() if isinstance(month, dt.datetime) else month,
                canteen_id=row["canteen_id"],
                meals=row["meals"],
                reversals=row["reversals"],
                total_fen=row["total"] - row["total_back"],
                funders={f: row[f"sale_{f}"] - row[f"rev_{f}"] for f in FUNDERS},
                by_session={s: row[f"session_{s}"] for s in SESSIONS if row[f"session_{s}"]},
                elder_days=row["elder_days"],
            )
        )
    return figures


def bare_aggregate(source: str | Path, *, threads: int | None = None) -> list[tuple[Any, ...]]:
    """The engine's minimal aggregation over the same files, for comparison."""
    connection = duckdb.connect()
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    return connection.execute(
        "SELECT canteen_id, sum(total_fen) FROM read_parquet($source) GROUP BY canteen_id",
        {"source": str(source)},
    ).fetchall()
