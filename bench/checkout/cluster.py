"""The benchmark's own PostgreSQL cluster, configured as a production server on this machine
would be, and used by both the checkout and pgbench.

A machine's stock cluster keeps PostgreSQL's defaults: 128 MB of shared buffers, less than
the city's hot rows (elders, cards, purses and the sale tables' indexes), so every sale
would read pages back from the kernel and write dirty ones out itself, and checkpoints would
come every gigabyte of WAL. The figures would then describe those defaults rather than the
platform. The cluster lives in `var/bench/pgdata` (made on first use, kept between runs) and
listens on 127.0.0.1 only, on its own port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "var" / "bench" / "pgdata"
PORT = 5440
URL = f"postgres://postgres@127.0.0.1:{PORT}"

_RAM_MB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20

# What a deployment would set (here sized for the machine: 4 GB of buffers, enough for the
# city-scale data set, on a machine with 16 GB or more); durability is left as it is (fsync
# and synchronous commit on).
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "port": str(PORT),
    "shared_buffers": f"{min(4096, _RAM_MB // 4)}MB",
    "effective_cache_size": f"{_RAM_MB * 2 // 3}MB",
    "max_wal_size": "8GB",  # checkpoints on their timer, not on WAL volume
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "max_connections": "100",
}


def _bin(name: str) -> str:
    bindir = subprocess.run(
        ["pg_config", "--bindir"], check=True, text=True, capture_output=True
    ).stdout.strip()
    return str(Path(bindir) / name)


def _as_owner(*args: str) -> list[str]:
    # PostgreSQL refuses to run as root; on a machine where the benchmark is root, the
    # cluster belongs to the `postgres` account that the server package creates.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def _ready() -> bool:
    probe = subprocess.run(
        ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres"], check=False
    )
    return probe.returncode == 0


def start() -> bool:
    """Start the cluster (making it on first use); False when it was already running."""
    if _ready():
        return False
    if not (DATA / "PG_VERSION").exists():
        shutil.rmtree(DATA, ignore_errors=True)
        DATA.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(DATA, "postgres", "postgres")
        subprocess.run(
            _as_owner(_bin("initdb"), "-D", str(DATA), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8"),
            check=True, capture_output=True,
        )  # fmt: skip
    options = " ".join(f"-c {name}={value}" for name, value in SETTINGS.items())
    subprocess.run(
        _as_owner(_bin("pg_ctl"), "-D", str(DATA), "-l", str(DATA / "server.log"), "-w",
                  "-o", f"{options} -c unix_socket_directories={DATA}", "start"),
        check=True, capture_output=True,
    )  # fmt: skip
    for _ in range(50):
        if _ready():
            return True
        time.sleep(0.2)
    raise RuntimeError(f"the benchmark's PostgreSQL did not start: see {DATA}/server.log")


def stop() -> None:
    if (DATA / "postmaster.pid").exists():
        subprocess.run(
            _as_owner(_bin("pg_ctl"), "-D", str(DATA), "-m", "fast", "-w", "stop"),
            check=False, capture_output=True,
        )  # fmt: skip
