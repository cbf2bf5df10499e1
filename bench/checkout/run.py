"""Checkout benchmark (not a test).

Builds a city-scale data set on PostgreSQL (once; `--rebuild` to redo), starts the production
server (gunicorn, one worker process per core pair), drives checkouts over loopback from wrk at
fixed concurrency, and in the same run measures pgbench's TPC-B-like workload against the same
PostgreSQL at the same concurrency. Prints throughput, latency percentiles and the ratio.

    .venv/bin/python bench/checkout/run.py [--seconds 20] [--concurrency 16] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VAR = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
DB = "tongzhou_bench"
PGBENCH_DB = "tongzhou_pgbench"
PORT = 8765


def sh(*args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    result = subprocess.run(args, env=env, check=True, text=True, capture_output=capture, cwd=ROOT)
    return result.stdout if capture else ""


def django_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        "TONGZHOU_VAR_DIR": str(VAR),
        "TONGZHOU_ENV_FILE": str(ROOT / "var" / "local.env"),
        "TONGZHOU_DEBUG": "0",
        "TONGZHOU_CONN_MAX_AGE": "600",
    }


def psql(sql: str, database: str = "postgres") -> str:
    return sh(
        "psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql, capture=True
    )


def build(rebuild: bool) -> None:
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'").strip() == "1"
    if exists and not rebuild:
        print(f"data set: reusing database {DB}")
        return
    VAR.mkdir(parents=True, exist_ok=True)
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    env = django_env()
    manage = [sys.executable, "manage.py"]
    sh(*manage, "migrate", "-v0", env=env)
    started = time.perf_counter()
    sh(*manage, "generate_demo", "--scale", "city", env=env)
    print(f"data set: city scale built on PostgreSQL in {time.perf_counter() - started:.0f} s")
    # Let the benchmark sell lunch at any hour it happens to run.
    psql(
        "UPDATE canteens_mealsession SET starts_at = '00:00', ends_at = '23:59:59' "
        "WHERE kind = 'lunch'",
        DB,
    )
    psql("VACUUM ANALYZE", DB)


def credentials() -> tuple[Path, Path]:
    """Fresh terminal credentials (rotated through the service) and card numbers."""
    env = django_env()
    code = (
        "from tongzhou.accounts.models import User\n"
        "from tongzhou.canteens.models import Terminal\n"
        "from tongzhou.canteens.services import terminal_rotate\n"
        "from tongzhou.demo.generator import demo_card_number\n"
        "from tongzhou.elders.models import Elder\n"
        "admin = User.objects.get(username='admin')\n"
        "counters = Terminal.objects.filter(status='active', canteen__kind='happiness_canteen')\n"
        f"with open('{VAR}/terminals.txt', 'w') as out:\n"
        "    for t in counters:\n"
        "        out.write(terminal_rotate(actor=admin, terminal=t).credential + '\\n')\n"
        f"with open('{VAR}/cards.txt', 'w') as out:\n"
        "    ids = Elder.objects.filter(status='active', accounts__kind='elder_own',\n"
        "                               accounts__balance_fen__gte=5000)\n"
        "    for elder_id in ids.values_list('id', flat=True)[:50000]:\n"
        "        out.write(demo_card_number(elder_id) + '\\n')\n"
    )
    sh(sys.executable, "manage.py", "shell", "-c", code, env=env)
    return VAR / "terminals.txt", VAR / "cards.txt"


def start_server(workers: int) -> subprocess.Popen[bytes]:
    env = django_env()
    sh(sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-w", str(workers),
         "-b", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/openapi.json", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start")


def wrk(
    seconds: int, concurrency: int, cards: Path, terminals: Path, pace_ms: int = 0
) -> dict[str, float]:
    env = {**os.environ, "BENCH_CARDS": str(cards), "BENCH_TERMINALS": str(terminals),
           "BENCH_PACE_MS": str(pace_ms)}  # fmt: skip
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "5s",
         "-s", str(HERE / "checkout.lua"), f"http://127.0.0.1:{PORT}"],
        env=env, check=True, text=True, capture_output=True,
    ).stdout  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def pgbench(seconds: int, concurrency: int) -> float:
    psql(f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
    psql(f"CREATE DATABASE {PGBENCH_DB}")
    sh("pgbench", "-h", "127.0.0.1", "-U", "postgres", "-i", "-q", "-s", "10", PGBENCH_DB,
       capture=True)  # fmt: skip
    out = sh("pgbench", "-h", "127.0.0.1", "-U", "postgres", "-c", str(concurrency), "-j", "2",
             "-T", str(seconds), PGBENCH_DB, capture=True)  # fmt: skip
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def meals_in_db() -> int:
    return int(psql("SELECT count(*) FROM meals_meal", DB).strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--paced-rate", type=int, default=500, help="requests/s for the paced run")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    build(args.rebuild)
    terminals, cards = credentials()
    server = start_server(args.workers)
    try:
        wrk(3, args.concurrency, cards, terminals)  # warm-up: connections, caches
        before = meals_in_db()
        peak = wrk(args.seconds, args.concurrency, cards, terminals)
        peak["recorded"] = meals_in_db() - before
        pace_ms = max(1, round(args.concurrency * 1000 / args.paced_rate))
        before = meals_in_db()
        paced = wrk(args.seconds, args.concurrency, cards, terminals, pace_ms=pace_ms)
        paced["recorded"] = meals_in_db() - before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    reference = pgbench(args.seconds, args.concurrency)

    print()
    print(f"machine: {os.cpu_count()} cores; gunicorn workers: {args.workers}; "
          f"concurrency: {args.concurrency}; {args.seconds} s per run")  # fmt: skip
    header = ("run", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "new meals")
    print(f"{header[0]:<32}" + "".join(f"{h:>11}" for h in header[1:]))
    for name, row in (
        ("checkout, max rate", peak),
        (f"checkout, paced ~{args.paced_rate}/s", paced),
    ):
        print(f"{name:<32}{row['rps']:>11.0f}{row['p50_ms']:>11.2f}{row['p95_ms']:>11.2f}"
              f"{row['p99_ms']:>11.2f}{row['non2xx']:>11.0f}{row['recorded']:>11.0f}")  # fmt: skip
    print(f"{'pgbench TPC-B-like (same PG)':<32}{reference:>11.0f}")
    print(f"ratio checkout / pgbench: {peak['rps'] / reference:.3f}")


if __name__ == "__main__":
    main()
