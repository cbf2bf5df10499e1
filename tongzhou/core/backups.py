"""Backups of the platform's data, and their restore.

A backup is a folder: the database (SQLite's online backup of the embedded default, taken
while it serves; `pg_dump` in its custom format for PostgreSQL), the uploaded files if any,
and a manifest with each file's SHA-256 and the migrations the data is at. It never holds a
key: the keys that read the personal data (`TONGZHOU_FIELD_KEYS`, `TONGZHOU_LOOKUP_KEY`,
the secret key) are kept apart, and a restore checks that the keys it runs with read it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.db import connections

from tongzhou.core import clock

MANIFEST = "manifest.json"


class RestoreRefused(Exception):
    """A backup or restore that cannot be made as asked (nothing is changed)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tool(name: str) -> str:
    """PostgreSQL's client tool (from the postgresql-client package), by its full path."""
    found = shutil.which(name)
    if found is None:
        raise RestoreRefused(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _pg_args(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["-h", str(config.get("HOST") or "127.0.0.1"), "-p", str(config.get("PORT") or 5432),
            "-U", str(config.get("USER") or "postgres")]  # fmt: skip
    env = {**os.environ}
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return args, env


def _migrations(alias: str = "default") -> dict[str, str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        latest: dict[str, str] = {}
        for app, name in cursor.fetchall():
            latest[app] = max(latest.get(app, ""), name)
    return latest


def backup(target: Path) -> Path:
    """A consistent backup of the configured database (and uploaded files) in a new folder
    under `target`; returns the folder."""
    config = settings.DATABASES["default"]
    stamp = clock.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = target / f"tongzhou-{stamp}"
    folder.mkdir(parents=True)
    connection = connections["default"]
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        database = folder / "database.sqlite3"
        source = sqlite3.connect(str(config["NAME"]))
        try:
            with sqlite3.connect(str(database)) as copy:
                source.backup(copy)  # SQLite's online backup: consistent while others write
            copy.close()
        finally:
            source.close()
    else:
        database = folder / "database.pgdump"
        args, env = _pg_args(config)
        subprocess.run(  # noqa: S603 - PostgreSQL's own tool with our connection settings
            [_tool("pg_dump"), *args, "-Fc", "--no-owner", "-f", str(database),
             str(config["NAME"])],
            env=env, check=True,
        )  # fmt: skip
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        with tarfile.open(folder / "media.tar", "w") as archive:
            archive.add(media, arcname=".")
    manifest = {
        "created_at": clock.now().isoformat(),
        "engine": connection.vendor,
        "migrations": _migrations(),
        "files": {path.name: _sha256(path) for path in sorted(folder.iterdir())},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def _verified(folder: Path) -> dict[str, Any]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        if _sha256(folder / name) != digest:
            raise RestoreRefused(f"{name} does not match its checksum: the backup is damaged")
    return manifest


def restore(
    folder: Path, database_url: str | None = None, *, force: bool = False
) -> dict[str, Any]:
    """Bring a backup back into an empty database (the configured one, or `database_url`);
    returns the manifest. Refuses a damaged backup, a backup of the other engine, and a
    database that already holds data unless `force`."""
    manifest = _verified(folder)
    config = (
        environ.Env.db_url_config(database_url) if database_url else settings.DATABASES["default"]
    )
    sqlite = "sqlite" in str(config["ENGINE"])
    if manifest["engine"] != ("sqlite" if sqlite else "postgresql"):
        raise RestoreRefused(f"this backup is of {manifest['engine']}, not of the target")
    if sqlite:
        target = Path(str(config["NAME"]))
        if target.exists() and target.stat().st_size > 0 and not force:
            raise RestoreRefused(f"{target} exists: restore into an empty place, or --force")
        partial = target.with_suffix(".restoring")
        shutil.copyfile(folder / "database.sqlite3", partial)
        partial.replace(target)  # in one step: never a half-copied database
    else:
        args, env = _pg_args(config)
        name = str(config["NAME"])
        probe = subprocess.run(  # noqa: S603
            [_tool("psql"), *args, "-d", name, "-tAc",
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        if int(probe.stdout.strip() or 0) and not force:
            raise RestoreRefused(f"database {name} holds tables: restore into an empty one")
        subprocess.run(  # noqa: S603
            [_tool("pg_restore"), *args, "--no-owner", "--clean", "--if-exists", "-d", name,
             str(folder / "database.pgdump")],
            env=env, check=True,
        )  # fmt: skip
    media = folder / "media.tar"
    if media.exists():
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        with tarfile.open(media) as archive:
            archive.extractall(settings.MEDIA_ROOT, filter="data")
    return manifest
