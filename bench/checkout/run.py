"""Checkout benchmark (not a test).

Starts the benchmark's own PostgreSQL cluster (`cluster.py`: production settings, not the
machine's stock ones), builds a city-scale data set in it (once; `--rebuild` to redo) and
sells on a fresh copy of it, so that every run starts from the same rows (the same elders
yet to have lunch, the same table sizes). It starts the production server (`manage.py
serve`), drives checkouts over loopback from wrk at fixed concurrency, and in the same run
measures pgbench's TPC-B-like workload against the same cluster at the same concurrency.
Prints throughput, latency percentiles, CPU per request and the ratio.

Each round runs the checkout at its highest rate, then pgbench, then the checkout paced at a
fixed rate, then pgbench paced at the same rate (its latency is the floor the machine's
PostgreSQL and disk put under any transaction at that load); the sale's tables are vacuumed
before each checkout run (as pgbench does its own), and the run is measured after two
seconds of sales at its own rate: vacuuming a table invalidates the plans that every
server connection has prepared on it, and the replanning right after it (a sale's read
plans in milliseconds, on each of 16 connections) is the vacuum's cost, not the checkout's
in its steady state. pgbench plans every statement anyway and needs no such warm-up.
Autovacuum during a run is measured as it comes. Rounds alternate because a shared
machine's speed drifts over minutes: the ratio is taken within each round, and the medians
are printed beside every round.

The cards it uses (distinct elders, in order) are given their offline hash first: a card
gets it at its first sale, so a city whose cards are in daily use has them all, and the
figures are those of that steady state rather than of a city where every card is new.

    .venv/bin/python bench/checkout/run.py [--seconds 20] [--rounds 3] [--concurrency 16]

The server inherits the environment; `--variant LABEL:NAME=VALUE,...` also runs it with
other settings, each variant's checkout between the same pgbench runs of a round (for
example `--variant unprepared:TONGZHOU_PG_PREPARE_THRESHOLD=0`).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from bench.checkout import cluster  # noqa: E402

VAR = ROOT / "var" / "bench"
DB = "tongzhou_bench"  # the copy a run sells on
BUILT = "tongzhou_bench_built"  # the data set as built, copied at the start of each run
PGBENCH_DB = "tongzhou_pgbench"
PORT = 8765
WRK_THREADS = 2
# Unmeasured sales after each vacuum (see the docstring); the first also opens the server's
# connections and prepares its statements.
WARM_UP_SECONDS = 2
# Each sale is a different elder's first lunch of the day, as in the lunch rush: wrk walks
# the list in order (a card used twice in a day would pay full price and drain its purse).
CARDS = 150_000
HOT_TABLES = (
    "ledger_account, ledger_journal, ledger_entry, meals_meal, meals_subsidyclaim, "
    "meals_idempotencyrecord, identity_card"
)


def sh(*args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    result = subprocess.run(args, env=env, check=True, text=True, capture_output=capture, cwd=ROOT)
    return result.stdout if capture else ""


def django_env(database: str = DB) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{cluster.URL}/{database}",
        "TONGZHOU_VAR_DIR": str(VAR),
        "TONGZHOU_ENV_FILE": str(ROOT / "var" / "local.env"),
        "TONGZHOU_DEBUG": "0",
        "TONGZHOU_CONN_MAX_AGE": "600",
    }


def psql(sql: str, database: str = "postgres") -> str:
    return sh("psql", "-h", "127.0.0.1", "-p", str(cluster.PORT), "-U", "postgres",
              "-d", database, "-tAc", sql, capture=True)  # fmt: skip


def build(rebuild: bool) -> None:
    """The data set, built once into its own database, then copied for this run (a copy of
    a template database is a copy of its files: seconds, where building takes minutes)."""
    env = django_env(BUILT)
    manage = [sys.executable, "manage.py"]
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{BUILT}'").strip() == "1"
    if exists and not rebuild:
        print(f"data set: reusing the one built in database {BUILT}")
        sh(*manage, "migrate", "-v0", env=env)
    else:
        VAR.mkdir(parents=True, exist_ok=True)
        psql(f"DROP DATABASE IF EXISTS {BUILT}")
        psql(f"CREATE DATABASE {BUILT}")
        sh(*manage, "migrate", "-v0", env=env)
        started = time.perf_counter()
        sh(*manage, "generate_demo", "--scale", "city", env=env)
        print(f"data set: city scale built on PostgreSQL in {time.perf_counter() - started:.0f} s")
        # Let the benchmark sell lunch at any hour it happens to run.
        psql(
            "UPDATE canteens_mealsession SET starts_at = '00:00', ends_at = '23:59:59' "
            "WHERE kind = 'lunch'",
            BUILT,
        )
        psql("VACUUM ANALYZE", BUILT)
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB} TEMPLATE {BUILT}")


def credentials() -> tuple[Path, Path]:
    """Fresh terminal credentials (rotated through the service), each with its canteen's
    lunch dishes today, and card numbers."""
    env = django_env()
    code = (
        "from tongzhou.accounts.models import User\n"
        "from tongzhou.canteens.models import Terminal\n"
        "from tongzhou.canteens.services import terminal_rotate\n"
        "from tongzhou.demo.generator import demo_card_number\n"
        "from tongzhou.elders.models import Elder\n"
        "from tongzhou.identity.models import Card\n"
        "from tongzhou.core import clock\n"
        "from tongzhou.canteens.models import Dish, Menu, MenuItem\n"
        "admin = User.objects.get(username='admin')\n"
        "counters = Terminal.objects.filter(status='active', canteen__kind='happiness_canteen')\n"
        "def lunch_items(canteen):  # today's lunch menu, made from the dishes if it is missing\n"
        "    menu, made = Menu.objects.get_or_create(canteen=canteen, date=clock.today(),\n"
        "                                            session='lunch')\n"
        "    if made:\n"
        "        MenuItem.objects.bulk_create(MenuItem(menu=menu, dish=d, price_fen=d.price_fen)\n"
        "                                     for d in Dish.objects.filter(canteen=canteen))\n"
        "    return ','.join(str(i) for i in menu.items.values_list('id', flat=True))\n"
        f"with open('{VAR}/terminals.txt', 'w') as out:\n"
        "    for t in counters:\n"
        "        credential = terminal_rotate(actor=admin, terminal=t).credential\n"
        "        out.write(f'{credential} {lunch_items(t.canteen)}\\n')\n"
        "from tongzhou.identity.services import card_fill_verifiers\n"
        "from tongzhou.meals.models import SubsidyClaim\n"
        "lunched = SubsidyClaim.objects.filter(business_date=clock.today(), session='lunch',\n"
        "                                      released=False).values('elder_id')\n"
        "ids = Elder.objects.filter(status='active', accounts__kind='elder_own',\n"
        "        accounts__balance_fen__gte=2000, cards__status='active'\n"
        "    ).exclude(id__in=lunched).order_by('?')  # no elder's second lunch of the day\n"
        f"chosen = list(ids.values_list('id', flat=True)[:{CARDS}])\n"
        "for i in range(0, len(chosen), 5000):\n"
        "    card_fill_verifiers(demo_card_number(elder_id) for elder_id in Card.objects.filter(\n"
        "        elder_id__in=chosen[i:i + 5000], status='active', offline_verifier=''\n"
        "    ).values_list('elder_id', flat=True))  # what each card's first sale would do\n"
        f"if len(chosen) < {CARDS}:\n"
        "    print(f'only {len(chosen)} elders can have lunch today: long runs may run out')\n"
        f"with open('{VAR}/cards.txt', 'w') as out:\n"
        "    out.writelines(demo_card_number(elder_id) + '\\n' for elder_id in chosen)\n"
    )
    sh(sys.executable, "manage.py", "shell", "-c", code, env=env)
    return VAR / "terminals.txt", VAR / "cards.txt"


def start_server(
    workers: int, threads: int, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**django_env(), **(settings or {})}
    sh(sys.executable, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    log = (VAR / "server.log").open("w")  # refused sales are logged as warnings, like in production
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--threads", str(threads)],
        env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/openapi.json", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def cpu_seconds(names: tuple[str, ...]) -> float:
    """CPU time used so far by the running processes whose command name is one of `names`."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        if name.startswith(names):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def settle() -> None:
    """Start each run from the same footing, as pgbench does for its tables: no dead rows."""
    psql(f"VACUUM (ANALYZE) {HOT_TABLES}", DB)


_cards_used = 0  # runs continue down the card list where the previous one stopped


class CardsRanOut(Exception):
    """A run came to the end of the card list: its later sales were second lunches of the
    day (refused or at full price), so its figures are not the checkout's."""


def wrk(
    seconds: int, concurrency: int, cards: Path, terminals: Path, rate: int = 0
) -> dict[str, float]:
    global _cards_used
    env = {**os.environ, "BENCH_CARDS": str(cards), "BENCH_TERMINALS": str(terminals),
           "BENCH_RATE": str(rate), "BENCH_THREADS": str(WRK_THREADS),
           "BENCH_FIRST_CARD": str(_cards_used)}  # fmt: skip
    before_meals = meals_in_db()
    server_cpu, db_cpu = cpu_seconds(("python", "granian")), cpu_seconds(("postgres",))
    out = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(concurrency), "-d", f"{seconds}s",
         "--timeout", "5s", "-s", str(HERE / "checkout.lua"), f"http://127.0.0.1:{PORT}"],
        env=env, check=True, text=True, capture_output=True,
    ).stdout  # fmt: skip
    server_cpu = cpu_seconds(("python", "granian")) - server_cpu
    db_cpu = cpu_seconds(("postgres",)) - db_cpu
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    row = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    if row["wrapped"]:
        raise CardsRanOut
    _cards_used = int(row["last_card"]) + 1
    row["recorded"] = meals_in_db() - before_meals
    row["server_ms"] = server_cpu * 1000 / row["requests"]
    row["db_ms"] = db_cpu * 1000 / row["requests"]
    return row


def settled_wrk(
    seconds: int, concurrency: int, cards: Path, terminals: Path, rate: int = 0
) -> dict[str, float]:
    """A run from a vacuumed footing, measured once the server has planned again."""
    settle()
    wrk(WARM_UP_SECONDS, concurrency, cards, terminals, rate)
    return wrk(seconds, concurrency, cards, terminals, rate)


def pgbench_init() -> None:
    psql(f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
    psql(f"CREATE DATABASE {PGBENCH_DB}")
    _pgbench("-i", "-q", "-s", "10")


def _pgbench(*args: str) -> str:
    """pgbench against its database on the benchmark's cluster; returns what it printed."""
    return sh("pgbench", "-h", "127.0.0.1", "-p", str(cluster.PORT), "-U", "postgres",
              *args, PGBENCH_DB, capture=True)  # fmt: skip


def pgbench(seconds: int, concurrency: int) -> float:
    out = _pgbench("-c", str(concurrency), "-j", "2", "-T", str(seconds))
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


def pgbench_paced(seconds: int, concurrency: int, rate: int) -> dict[str, float]:
    """pgbench at a fixed rate (Poisson arrivals), latency from each transaction's actual
    start as wrk measures it (its log's time less the schedule lag)."""
    with tempfile.TemporaryDirectory() as logs:
        _pgbench("-c", str(concurrency), "-j", "2", "-R", str(rate), "-T", str(seconds),
                 "-l", "--log-prefix", f"{logs}/tx")  # fmt: skip
        latencies = sorted(
            (int(fields[2]) - int(fields[6])) / 1000
            for log in Path(logs).iterdir()
            for fields in (line.split() for line in log.read_text().splitlines())
        )
    if not latencies:
        raise RuntimeError("pgbench logged no transactions")

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))]

    return {"rps": len(latencies) / seconds, "p50_ms": percentile(0.50),
            "p95_ms": percentile(0.95), "p99_ms": percentile(0.99)}  # fmt: skip


def meals_in_db() -> int:
    return int(psql("SELECT count(*) FROM meals_meal", DB).strip())


# max rate, pgbench, checkout paced, pgbench paced
Round = tuple[dict[str, float], float, dict[str, float], dict[str, float]]
Variant = tuple[str, dict[str, str]]  # a label, and the server's settings for it


def variant(text: str) -> Variant:
    """`LABEL:NAME=VALUE,NAME=VALUE`: the server run with those environment settings."""
    label, _, assignments = text.partition(":")
    settings = dict(pair.split("=", 1) for pair in assignments.split(",") if pair)
    return label, settings


def run_rounds(
    args: argparse.Namespace, terminals: Path, cards: Path, variants: list[Variant]
) -> dict[str, list[Round]]:
    """Each round runs every variant's checkout (its own server) between the same pgbench
    runs, so that variants are compared on the machine as it is in that minute."""
    rounds: dict[str, list[Round]] = {label: [] for label, _ in variants}
    try:
        for _ in range(args.rounds):
            measured: list[tuple[str, dict[str, float], dict[str, float]]] = []
            for label, settings in variants:
                server = start_server(args.workers, args.threads, settings)
                try:
                    peak = settled_wrk(args.seconds, args.concurrency, cards, terminals)
                    paced = settled_wrk(
                        args.seconds, args.concurrency, cards, terminals, args.paced_rate
                    )
                finally:
                    stop_server(server)
                measured.append((label, peak, paced))
            reference = pgbench(args.seconds, args.concurrency)
            floor = pgbench_paced(args.seconds, args.concurrency, args.paced_rate)
            for label, peak, paced in measured:
                rounds[label].append((peak, reference, paced, floor))
    except CardsRanOut:
        done = len(next(iter(rounds.values())))
        print(f"the card list ran out in round {done + 1}: its figures are left out; "
              "fewer rounds or shorter runs fit the data set's elders")  # fmt: skip
        rounds = {label: runs[:done] for label, runs in rounds.items()}
        if not done:
            raise SystemExit(1) from None
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--paced-rate", type=int, default=500, help="requests/s for the paced run")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--variant",
        type=variant,
        action="append",
        metavar="LABEL:NAME=VALUE,...",
        help="also run the server with these environment settings, in the same rounds",
    )
    args = parser.parse_args()
    variants: list[Variant] = [("default", {}), *(args.variant or [])]

    cluster.start()
    try:
        build(args.rebuild)
        terminals, cards = credentials()
        pgbench_init()
        results = run_rounds(args, terminals, cards, variants)
    finally:
        cluster.stop()

    print()
    print(f"machine: {os.cpu_count()} cores; server: {args.workers} workers x {args.threads} "
          f"threads; concurrency {args.concurrency}; {args.seconds} s per run")  # fmt: skip
    print("PostgreSQL (the benchmark's own cluster, for both): "
          + ", ".join(f"{k} {v}" for k, v in cluster.SETTINGS.items()
                      if k not in ("listen_addresses", "port")))  # fmt: skip
    for label, settings in variants:
        rounds = results[label]
        print()
        print(
            f"== {label}"
            + (f" ({', '.join(f'{k}={v}' for k, v in settings.items())})" if settings else "")
        )
        header = ("run", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "new meals",
                  "server CPU", "db CPU")  # fmt: skip
        print(f"{header[0]:<30}" + "".join(f"{h:>11}" for h in header[1:]))
        print(f"{'':<30}{'':>66}{'ms/req':>11}{'ms/req':>11}")
        for number, (peak, reference, paced, floor) in enumerate(rounds, 1):
            for name, row in (
                (f"{number}. checkout, max rate", peak),
                (f"{number}. checkout, {args.paced_rate}/s asked", paced),
            ):
                print(f"{name:<30}{row['rps']:>11.0f}{row['p50_ms']:>11.2f}{row['p95_ms']:>11.2f}"
                      f"{row['p99_ms']:>11.2f}{row['non2xx']:>11.0f}{row['recorded']:>11.0f}"
                      f"{row['server_ms']:>11.2f}{row['db_ms']:>11.2f}")  # fmt: skip
            print(f"{f'{number}. pgbench TPC-B-like':<30}{reference:>11.0f}"
                  f"{'':>55}ratio {peak['rps'] / reference:.3f}")  # fmt: skip
            print(
                f"{f'{number}. pgbench, {args.paced_rate}/s asked':<30}{floor['rps']:>11.0f}"
                f"{floor['p50_ms']:>11.2f}{floor['p95_ms']:>11.2f}{floor['p99_ms']:>11.2f}"
            )
        median = statistics.median
        print()
        print(f"median checkout max rate: {median(p['rps'] for p, *_ in rounds):.0f} req/s, "
              f"p99 {median(p['p99_ms'] for p, *_ in rounds):.1f} ms; "
              f"pgbench {median(r for _, r, *_ in rounds):.0f} tps; "
              f"ratio {median(p['rps'] / r for p, r, *_ in rounds):.3f}")  # fmt: skip
        print(f"median at {args.paced_rate}/s asked: "
              f"{median(q['rps'] for *_, q, _ in rounds):.0f} req/s delivered, "
              f"p50 {median(q['p50_ms'] for *_, q, _ in rounds):.1f} ms, "
              f"p99 {median(q['p99_ms'] for *_, q, _ in rounds):.1f} ms; "
              f"pgbench p99 {median(f['p99_ms'] for *_, f in rounds):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
