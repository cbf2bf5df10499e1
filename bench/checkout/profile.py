"""Profile one checkout in-process against the benchmark's data set (not a test).

Prints the statements a sale makes (with their time) and the time and CPU per sale in
process (the API through Django's test client, no HTTP server), to see what stands between
the checkout and its throughput aim.

    .venv/bin/python bench/checkout/profile.py [--sales 100]

Run it after bench/checkout/run.py has built the data set; it starts the benchmark's
cluster if that is down.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.checkout import cluster, run

    cluster_started = cluster.start()
    os.environ.update(run.django_env(), DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    cards = (run.VAR / "cards.txt").read_text().split()
    terminal, dishes = (run.VAR / "terminals.txt").read_text().splitlines()[0].split()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {terminal}")

    def sale() -> None:
        key = uuid.uuid4().hex
        line = {"menu_item_id": int(random.choice(dishes.split(","))), "quantity": 1}
        body = {"card": random.choice(cards), "session": "lunch", "accept_full_price": True,
                "lines": [line], "receipt_no": key[:30]}  # fmt: skip
        response = client.post(
            "/api/v1/checkout", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 201, response.content[:300]

    for _ in range(5):
        sale()  # warm caches and the connection
    settings.DEBUG = True
    reset_queries()
    sale()
    queries = list(connection.queries)
    settings.DEBUG = False
    print(f"statements per sale: {len(queries)}")
    for query in queries:
        print(f"  {float(query['time']) * 1000:6.2f} ms  {' '.join(query['sql'].split())[:90]}")
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.sales):
        sale()
    wall = (time.perf_counter() - started) / args.sales * 1000
    print(f"in-process time per sale: {wall:.2f} ms "
          f"({(time.process_time() - cpu) / args.sales * 1000:.2f} ms of it CPU)")  # fmt: skip
    if cluster_started:  # leave the machine as it was
        connection.close()
        cluster.stop()


if __name__ == "__main__":
    main()
