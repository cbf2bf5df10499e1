"""Lunch-rush soak (not a test): the platform behind `manage.py serve` on PostgreSQL for a
whole lunch, with every kind of request a lunch brings, at Zhoushan's peak and several
times it.

It uses the checkout benchmark's own cluster and city-scale data set (`bench/checkout`),
then drives, open-loop (each kind at its own schedule, whatever the answers' speed):
- card sales at the counters of every canteen (each elder's lunch, then their dinner): 80/s
  (the whole city at lunch at once), 2x and 4x that for a while, then 80/s again (`--peak`);
- QR-code sales (a code computed as the elder's phone shows it), a tenth of the card rate;
- a village worker booking meals (book, then cancel; each followed to the page that says
  whether it worked);
- the kitchen sheet, a courier's proofs of delivery (a photo each), officials opening the
  home page, the coverage page, the statements' charts and the anomalies;
- an offline counter uploading its backlog, 50 sales at a time.
Every 10 s it samples the server's memory (all its processes) and the database's
connections. At the end: per kind, the count, p50 / p99 and errors (any answer but the
expected one); memory and connections over time; the ledger check.

    .venv/bin/python bench/soak/run.py [--minutes 30] [--peak 80]

Runs on loopback only and stops at the time given.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.checkout import cluster  # noqa: E402
from bench.checkout import run as checkout_bench  # noqa: E402
from bench.checkout.run import (  # noqa: E402
    DB,
    PORT,
    VAR,
    build,
    credentials,
    django_env,
    psql,
    start_server,
    stop_server,
)

PASSWORD = "tongzhou-demo"  # noqa: S105 - the demo accounts' printed password
SAMPLE_SECONDS = 10
# The photo a courier's phone sends (a small JPEG's worth of bytes).
PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(40_000) + b"\xff\xd9"


@dataclass
class Kind:
    """One kind of request: its latencies and its errors (with a few examples)."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, ok: bool, detail: str) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1
                if len(self.examples) < 3:
                    self.examples.append(detail[:200])


class Session:
    """One keep-alive connection with cookies: a counter, or a person signed in."""

    def __init__(self, bearer: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.cookies: dict[str, str] = {}
        self.bearer = bearer

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        sent = {"Host": f"127.0.0.1:{PORT}", **(headers or {})}
        if self.bearer:
            sent["Authorization"] = f"Bearer {self.bearer}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()  # the server closed a keep-alive connection: reopen
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, response

    def json(self, method: str, path: str, payload: Any, key: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        status, data, _ = self.request(method, path, json.dumps(payload).encode(), headers)
        return status, json.loads(data) if data else None

    def form(self, path: str, fields: dict[str, str], files: dict[str, bytes] | None = None) -> int:
        fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        headers = {
            "Referer": f"http://127.0.0.1:{PORT}{path}",
            "X-CSRFToken": fields["csrfmiddlewaretoken"],
        }
        if files:
            boundary = uuid.uuid4().hex
            head = f"--{boundary}\r\nContent-Disposition: form-data; "
            parts = [f'{head}name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
            parts += [
                f'{head}name="{k}"; filename="{k}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                + v
                + b"\r\n"
                for k, v in files.items()
            ]
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, _, _ = self.request("POST", path, body, headers)
        return status

    def sign_in(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status = self.form("/accounts/login/", {"username": username, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"{username} could not sign in ({status})")


class Schedule:
    """Open-loop pacing: the n-th request of a kind is due at start + n / rate (the rate may
    change with the phase); workers take due requests from a queue."""

    def __init__(self, rate_at: Callable[[float], float], stop_at: float) -> None:
        self.rate_at, self.stop_at = rate_at, stop_at

    def run(self, due: queue.Queue[float | None], workers: int) -> None:
        start = time.monotonic()
        next_at = start
        while next_at < self.stop_at:
            now = time.monotonic()
            if next_at > now:
                time.sleep(next_at - now)
            due.put(next_at)
            rate = self.rate_at(next_at - start)
            next_at += 1 / rate if rate > 0 else 1
        for _ in range(workers):
            due.put(None)


def drive(
    kind: Kind,
    rate_at: Callable[[float], float],
    stop_at: float,
    workers: int,
    make_session: Callable[[], Session],
    one: Callable[[Session], tuple[bool, str]],
) -> list[threading.Thread]:
    """`workers` threads, each with its session, doing `one` request as it falls due."""
    due: queue.Queue[float | None] = queue.Queue()

    def work() -> None:
        session = make_session()
        while (scheduled := due.get()) is not None:
            try:
                ok, detail = one(session)
            except Exception as error:
                ok, detail = False, repr(error)
            # From when it was due: a request that waited for a free worker waited.
            kind.record(time.monotonic() - scheduled, ok, detail)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    threads.append(
        threading.Thread(target=Schedule(rate_at, stop_at).run, args=(due, workers), daemon=True)
    )
    for thread in threads:
        thread.start()
    return threads


# Thirty minutes at several times the city's peak sell more meals than the city has elders:
# after every elder on a list has had lunch, they come back for dinner.
MEALS = ("lunch", "dinner")


class Counter:
    """Hands out items of a list to threads, once a meal each: (item, meal)."""

    def __init__(self, items: list[Any]) -> None:
        self.items, self.next, self.lock = items, 0, threading.Lock()

    def take(self) -> tuple[Any, str]:
        with self.lock:
            turn, at = divmod(self.next, len(self.items))
            if turn >= len(MEALS):
                raise RuntimeError("the list ran out: lower the rates or the minutes")
            self.next += 1
            return self.items[at], MEALS[turn]


def server_memory_mb(server_pid: int) -> float:
    """Resident memory of the server's process group (its workers included)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == server_pid:  # process group
                status = (stat.parent / "status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        except (OSError, AttributeError, IndexError):
            continue
    return total / 1024


def connections() -> int:
    return int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB}'").strip())


def _refusal(page: bytes) -> str:
    """The refusal a page says after a form (its messages), if any."""
    found = re.search(rb'<li class="error" role="status">(.*?)</li>', page, flags=re.S)
    return found.group(1).decode(errors="replace").strip() if found else ""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--peak", type=float, default=80, help="Zhoushan's lunch peak, sales/s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    cluster.start()
    build(args.rebuild)
    checkout_bench.CARDS = 230_000  # every elder who can have lunch today, about
    terminals_file, cards_file = credentials()
    data_file = VAR / "soak.json"
    subprocess.run([sys.executable, str(Path(__file__).with_name("prepare.py")), str(cards_file),
                    str(terminals_file), str(data_file)],
                   env=django_env(), check=True, cwd=ROOT)  # fmt: skip
    data = json.loads(data_file.read_text())
    counters = [line.split() for line in terminals_file.read_text().splitlines()]
    cards = Counter(
        cards_file.read_text().split()[: -(len(data["qr"]) + len(data["offline_cards"]))]
    )
    offline_cards = Counter(data["offline_cards"])
    qr_elders = Counter(data["qr"])
    stops = Counter(data["stops"])

    # The driver computes QR codes as an elder's phone does, with the server's settings.
    os.environ.update(django_env(), DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    from tongzhou.identity import qr

    secret = qr.server_secret()
    server = start_server(args.workers, args.threads)
    seconds = args.minutes * 60
    # The lunch: the peak for 40% of the time, twice it for 25%, four times it for 10%,
    # then the peak again.
    phases = [(0.40, 1), (0.25, 2), (0.10, 4), (0.25, 1)]

    def sales_rate(t: float) -> float:
        elapsed = 0.0
        for share, factor in phases:
            elapsed += share * seconds
            if t < elapsed:
                return args.peak * factor
        return args.peak

    kinds = {name: Kind(name) for name in (
        "card sale", "QR sale", "booking", "kitchen sheet", "delivery proof", "official page",
        "offline upload",
    )}  # fmt: skip
    counter_index = iter(range(10**9))
    sequence = iter(range(10**9))
    lock = threading.Lock()

    def counter_session() -> Session:
        with lock:
            credential, lunch = counters[next(counter_index) % len(counters)]
        session = Session(credential)
        key_id = credential.split("_")[1]
        session.items = {"lunch": lunch.split(","),  # type: ignore[attr-defined]
                         "dinner": data["dinner_items"][key_id].split(",")}  # fmt: skip
        return session

    def sale_body(session: Session, card: str, meal: str) -> dict[str, Any]:
        items = session.items[meal]  # type: ignore[attr-defined]
        with lock:
            n = next(sequence)
        return {"card": card, "session": meal, "receipt_no": f"S{n}",
                "lines": [{"menu_item_id": int(items[n % len(items)]), "quantity": 1}],
                "accept_full_price": True}  # fmt: skip

    def card_sale(session: Session) -> tuple[bool, str]:
        body = sale_body(session, *cards.take())
        status, answer = session.json("POST", "/api/v1/checkout", body, key=uuid.uuid4().hex)
        return status == 201, f"{status} {answer}"

    def qr_sale(session: Session) -> tuple[bool, str]:
        (token, version), meal = qr_elders.take()
        code = qr.rotating_code(
            qr.elder_key(secret, token, version), token, qr.step_at(time.time())
        )
        status, answer = session.json("POST", "/api/v1/checkout", sale_body(session, code, meal),
                                      key=uuid.uuid4().hex)  # fmt: skip
        return status == 201, f"{status} {answer}"

    def offline_upload(session: Session) -> tuple[bool, str]:
        now = time.time()
        sales = []
        for i in range(50):
            body = sale_body(session, *offline_cards.take())
            local = time.gmtime(now + 8 * 3600 - 600 + i)  # recorded ten minutes ago
            body.update(client_id=uuid.uuid4().hex,
                        device_time=time.strftime("%Y-%m-%dT%H:%M:%S+08:00", local))  # fmt: skip
            sales.append(body)
        status, answer = session.json("POST", "/api/v1/terminal/offline-sales", {"sales": sales})
        posted = status == 200 and all(
            r["outcome"] in ("posted", "full_price") for r in answer["results"]
        )
        return posted, f"{status} {str(answer)[:300]}"

    def signed_in(username: str) -> Callable[[], Session]:
        def make() -> Session:
            session = Session()
            session.sign_in(username)
            return session

        return make

    day_after_tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600 + 2 * 86400))
    booking_turn = iter(range(10**9))

    def booking(session: Session) -> tuple[bool, str]:
        with lock:
            n = next(booking_turn)
        target = data["bookings"][(n // 2) % len(data["bookings"])]
        action = "book" if n % 2 == 0 else "cancel"
        path = f"/bookings/elder/{target['elder']}/"
        status = session.form(path, {"action": action, "canteen": str(target["canteen"]),
                                     "day": day_after_tomorrow, "session": "lunch",
                                     "mode": "eat_in"})  # fmt: skip
        page_status, page, _ = session.request("GET", path)
        refusal = _refusal(page)
        return status == 302 and page_status == 200 and not refusal, f"{action}: {refusal}"

    def kitchen(session: Session) -> tuple[bool, str]:
        status, _, _ = session.request("GET", f"/kitchen/{data['kitchen_canteen']}/?session=lunch")
        return status == 200, str(status)

    def proof(session: Session) -> tuple[bool, str]:
        stop, _meal = stops.take()
        status = session.form(f"/delivery/stop/{stop}/", {"outcome": "done"}, {"photo": PHOTO})
        page_status, page, _ = session.request("GET", "/delivery/?session=dinner")
        refusal = _refusal(page)
        return status == 302 and page_status == 200 and not refusal, f"{stop}: {refusal}"

    pages = ["/", "/coverage/", "/settlement/charts/", "/settlement/anomalies/"]
    page_turn = iter(range(10**9))

    def official(session: Session) -> tuple[bool, str]:
        with lock:
            path = pages[next(page_turn) % len(pages)]
        status, _, _ = session.request("GET", path)
        return status == 200, f"{path} {status}"

    stop_at = time.monotonic() + seconds
    stops_rate = min(len(data["stops"]) / seconds, 1.0)
    plan = [
        (kinds["card sale"], sales_rate, 24, counter_session, card_sale),
        (kinds["QR sale"], lambda t: sales_rate(t) / 10, 4, counter_session, qr_sale),
        # One worker: each cancel follows its booking.
        (kinds["booking"], lambda t: 2.0, 1, signed_in("xian"), booking),
        (kinds["kitchen sheet"], lambda t: 0.2, 1, signed_in("canteen1"), kitchen),
        (kinds["delivery proof"], lambda t: stops_rate, 1, signed_in(data["courier"]), proof),
        (kinds["official page"], lambda t: 1.0, 2, signed_in("city"), official),
        (kinds["offline upload"], lambda t: 1 / 30, 1, counter_session, offline_upload),
    ]
    print(f"soak: {args.minutes:g} min, card sales {args.peak:g}/s, x2 and x4 for a while; "
          f"server {args.workers} workers x {args.threads} threads", flush=True)  # fmt: skip
    threads = [
        thread
        for kind, rate_at, workers, make_session, one in plan
        for thread in drive(kind, rate_at, stop_at, workers, make_session, one)
    ]
    samples: list[tuple[float, float, int, int]] = []
    started = time.monotonic()
    try:
        while time.monotonic() < stop_at:
            time.sleep(SAMPLE_SECONDS)
            done = len(kinds["card sale"].latencies)
            samples.append((time.monotonic() - started, server_memory_mb(server.pid),
                            connections(), done))  # fmt: skip
            if len(samples) % 6 == 0:
                t, mb, conns, sold = samples[-1]
                rate = (sold - samples[-7][3]) / 60 if len(samples) > 6 else sold / t
                print(f"  {t / 60:5.1f} min: {rate:6.1f} card sales/s, server {mb:7.1f} MB, "
                      f"{conns} connections", flush=True)  # fmt: skip
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop_server(server)

    print(f"\n{'kind':<16}{'requests':>10}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in kinds.values():
        n = len(kind.latencies)
        p50 = percentile(kind.latencies, 0.5) if n else 0
        p99 = percentile(kind.latencies, 0.99) if n else 0
        print(f"{kind.name:<16}{n:>10}{n / seconds:>9.2f}{p50:>9.1f}{p99:>9.1f}{kind.errors:>8}")
        for example in kind.examples:
            print(f"    e.g. {example}")
    third = max(1, len(samples) // 3)
    first, last = samples[:third], samples[-third:]
    memory = [s[1] for s in samples]
    db_connections = [s[2] for s in samples]
    print(f"\nserver memory: first third {statistics.mean(s[1] for s in first):.1f} MB, "
          f"last third {statistics.mean(s[1] for s in last):.1f} MB, "
          f"min {min(memory):.1f}, max {max(memory):.1f} ({len(samples)} samples)")  # fmt: skip
    print(f"database connections: first third max {max(s[2] for s in first)}, "
          f"last third max {max(s[2] for s in last)}, "
          f"overall max {max(db_connections)}")  # fmt: skip
    check = subprocess.run([sys.executable, "manage.py", "ledger_check"], env=django_env(),
                           cwd=ROOT, text=True, capture_output=True)  # fmt: skip
    uncharged = psql(
        "SELECT count(*) FROM bookings_booking WHERE status = 'delivered' AND meal_id IS NULL "
        "AND session = 'dinner' AND date = current_date",
        DB,
    ).strip()
    print(f"deliveries handed over but not charged (a purse short): {uncharged}")
    print(f"ledger check: exit {check.returncode}: {(check.stdout + check.stderr).strip()[-300:]}")


if __name__ == "__main__":
    main()
