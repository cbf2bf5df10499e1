"""Service network benchmark (not a test), on SQLite at city scale: the 15-minute coverage of
every village and facility for 300,000 elders, beside a bare computation of the same count in
the same run; and the map's data (its size, and the time until the browser has drawn it).

    .venv/bin/python bench/network/run.py [--rebuild] [--repeat 5] [--elders 300000]

The data is built once into var/bench/network.sqlite3: the real regions and islands, the
demo's elders (its generator, at city scale), one in ten of them with their own home point
(a meal profile's) near their village, and the demo's facilities (about 240 places).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DB = ROOT / "var" / "bench" / "network.sqlite3"
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("TONGZHOU_ENV_FILE", str(ROOT / "var" / "local.env"))

import django  # noqa: E402

COVERAGE_TARGET_S, MAP_BYTES_TARGET, DRAW_TARGET_S = 1.0, 1_000_000, 1.0
PORT = 8765
PASSWORD = "bench-Network-1"  # noqa: S105 - a throwaway account in a throwaway database


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT,
                   env=os.environ.copy())  # fmt: skip


def build(elders: int) -> None:
    DB.parent.mkdir(parents=True, exist_ok=True)
    for path in DB.parent.glob(DB.name + "*"):
        path.unlink()
    started = time.perf_counter()
    manage("migrate", "-v0")
    manage("load_zhoushan")
    django.setup()
    from tongzhou.accounts.models import User
    from tongzhou.bookings.models import MealProfile
    from tongzhou.demo.generator import build_elders
    from tongzhou.demo.network import build_network
    from tongzhou.elders.models import Elder
    from tongzhou.elders.services import elders_bulk_load

    admin = User.objects.create_superuser("bench", password=PASSWORD, email="")
    rng = random.Random(11)
    people, categories = build_elders(rng, elders)
    elders_bulk_load(actor=admin, elders=people, categories=categories, label="bench")
    rows = Elder.objects.filter(residence__lon__isnull=False).values_list(
        "pk", "residence__lon", "residence__lat"
    )
    profiles = [
        MealProfile(elder_id=pk, home_lon=(lon or 0.0) + rng.uniform(-0.004, 0.004),
                    home_lat=(lat or 0.0) + rng.uniform(-0.003, 0.003))
        for pk, lon, lat in rows
        if rng.random() < 0.1
    ]  # fmt: skip
    MealProfile.objects.bulk_create(profiles, batch_size=5000)
    facilities = build_network(rng)
    print(f"built in {time.perf_counter() - started:.0f} s: {elders} elders, "
          f"{len(profiles)} with their own home point, {facilities} facilities")  # fmt: skip


def bare_coverage(radius_m: float) -> tuple[int, int]:
    """The same count the plain way: one SQL group-by for the homes, and numpy distances from
    every home to every site (no clipping to the islands, no island check)."""
    import numpy as np
    from django.db import connection

    from tongzhou.geo import shapes
    from tongzhou.network.selectors import sites

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(p.home_lon, r.lon), COALESCE(p.home_lat, r.lat), COUNT(*) "
            "FROM elders_elder e JOIN geo_region r ON r.id = e.residence_id "
            "LEFT JOIN bookings_mealprofile p ON p.elder_id = e.id "
            "WHERE e.status = 'active' AND r.lon IS NOT NULL "
            "GROUP BY e.residence_id, p.home_lon, p.home_lat"
        )
        homes = np.array(cursor.fetchall(), dtype=float)
    places = np.array([(s.lon, s.lat) for s in sites(["meals", "medical"])], dtype=float)
    scale = np.array([shapes.METRES_PER_DEGREE_LON, shapes.METRES_PER_DEGREE_LAT])
    a, b = homes[:, :2] * scale, places * scale
    squared = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :]
    hit = (squared <= radius_m**2).any(axis=1)
    return int(homes[hit, 2].sum()), int(homes[:, 2].sum())


def timed(work: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def drawn(repeat: int) -> list[float]:
    """Seconds from asking for the map page until the browser has drawn every layer, on a
    server started for the run (its first answer, which warms the process, not counted)."""
    import shutil

    from playwright.sync_api import sync_playwright

    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT, env=os.environ.copy() | {"TONGZHOU_DEBUG": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            base = f"http://127.0.0.1:{PORT}"
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_selector("h1")
            times = []
            for attempt in range(repeat + 1):
                started = time.perf_counter()
                page.goto(f"{base}/network/map/")
                page.wait_for_selector("[data-network-map][data-drawn]", timeout=60000)
                if attempt:
                    times.append(time.perf_counter() - started)
            browser.close()
        return times
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--elders", type=int, default=300_000)
    args = parser.parse_args()
    if args.rebuild or not DB.exists():
        build(args.elders)
    django.setup()
    from tongzhou.accounts.models import User
    from tongzhou.network.mapdata import map_layers
    from tongzhou.network.selectors import city_coverage, profile_for

    profile = profile_for("planning")
    seconds, found = timed(lambda: city_coverage(profile), args.repeat)
    covered = sum(h.elders for h, ok in zip(found.homes, found.covered.tolist(), strict=True) if ok)
    total = sum(h.elders for h in found.homes)
    bare_seconds, (bare_covered, bare_total) = timed(lambda: bare_coverage(profile.radius_m),
                                                     args.repeat)  # fmt: skip
    print(f"coverage, {profile.name_zh}: {len(found.homes)} home points ({total} elders), "
          f"{len(found.sites)} places serving")  # fmt: skip
    print(
        f"  platform (clipped to each island, same island only): {seconds:.3f} s, "
        f"{covered} covered ({covered / total:.1%})  target <= {COVERAGE_TARGET_S} s"
    )
    print(
        f"  bare (SQL group-by + numpy distances, no clipping): {bare_seconds:.3f} s, "
        f"{bare_covered} of {bare_total} covered"
    )
    bench = User.objects.get(username="bench")
    map_seconds, layers = timed(lambda: map_layers(bench, profile), args.repeat)
    size = len(json.dumps(layers, ensure_ascii=False).encode())
    counts = {name: len(layers[name]["features"])
              for name in ("islands", "villages", "facilities", "canteens", "circles")}  # fmt: skip
    print(
        f"map data: {size / 1e6:.2f} MB (target <= {MAP_BYTES_TARGET / 1e6:.0f} MB), "
        f"made in {map_seconds:.3f} s; features {counts}"
    )
    times = drawn(args.repeat)
    print(
        f"map drawn in the browser: median {statistics.median(times):.2f} s "
        f"(best {min(times):.2f}, worst {max(times):.2f}; target <= {DRAW_TARGET_S} s)"
    )


if __name__ == "__main__":
    main()
