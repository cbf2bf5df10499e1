"""Health for the machines that watch the platform: `/healthz` (the process answers) and
`/readyz` (it can serve: database, migrations, keys, disk). Both are anonymous and say no
more than ok or what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from tongzhou.elders.services import elders_readable

# Below this much free space where the database and backups live, the platform is not ready.
MIN_FREE_BYTES = 1 << 30


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["database"] = "ok"
        checks["migrations"] = "ok" if not pending else f"{len(pending)} not applied"
        checks["keys"] = "ok" if elders_readable() else "cannot read the stored data"
    except DatabaseError:
        checks["database"] = "unreachable"
    free = shutil.disk_usage(Path(settings.VAR_DIR)).free
    checks["disk"] = "ok" if free >= MIN_FREE_BYTES else f"{free // 2**20} MB free"
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ok else "not ready", "checks": checks},
                        status=200 if ok else 503)  # fmt: skip
