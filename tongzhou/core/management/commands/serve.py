"""`manage.py serve`: the platform in production, behind granian's HTTP server.

Granian parses HTTP in Rust and hands each request to Django's WSGI application on one of a
few threads per worker process: the threads overlap one request's wait on the database with
another's Python, and one process per core uses every core despite the GIL. Measured on the
counter's checkout (bench/checkout), it spends about a fifth less CPU per request than
gunicorn's threaded workers. Access logs are left to the reverse proxy in front.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the platform with granian (production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("TONGZHOU_BIND", "127.0.0.1:8000"),
            help="host:port to listen on (TONGZHOU_BIND)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("TONGZHOU_WORKERS", str(os.cpu_count() or 1))),
            help="worker processes, one per core by default (TONGZHOU_WORKERS)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("TONGZHOU_THREADS", "8")),
            help="request threads per worker (TONGZHOU_THREADS)",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # Each worker is a process: their metrics meet in one folder, emptied at each start.
        # It must be known before prometheus_client is first imported, which the system
        # checks run before `handle` do (through the URLconf).
        metrics = Path(settings.VAR_DIR) / "metrics"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics))
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        # Loaded by this command alone, not by every other one.
        from granian import Granian
        from granian.constants import Interfaces, RuntimeModes

        host, _, port = options["bind"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("--bind takes host:port, e.g. 127.0.0.1:8000")
        _require_collected_static()
        # The database's checks too: keys that cannot read the stored data stop the start.
        call_command("check", "--database", "default")
        Granian(
            "config.wsgi:application",
            address=host,
            port=int(port),
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            # One runtime thread per worker: the request threads do the work.
            runtime_mode=RuntimeModes.st,
            websockets=False,
            respawn_failed_workers=True,
        ).serve()


def _require_collected_static() -> None:
    """Without the manifest every page that links a static file fails: say so at start."""
    # Loading the storage reads the settings: done when the command runs, not on import.
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.exists(
        staticfiles_storage.manifest_name
    ):
        raise CommandError("static files are not collected: run `manage.py collectstatic` first")
