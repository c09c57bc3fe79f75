"""Backups of an installation into a directory, and their restoring into an empty installation
(``minsheng backup DIR``, ``minsheng restore DIR``).

A backup holds:

- the database: SQLite copied page by page through its online backup API (a consistent copy
  while the app keeps writing), or PostgreSQL's ``pg_dump`` in its custom format (one
  snapshot of a transaction);
- the media directory's files (photos, PDFs), copied after the database, so that every file the
  copied rows name is there (files are written before their rows commit);
- the keys of the data directory (the secret key that signs links and sessions, the VAPID key
  that push subscriptions are bound to), when they are kept there;
- ``manifest.json``, written last: the SHA-256 of every file above. A directory without it is
  no backup; ``restore`` checks every file against it before it changes anything.

Sessions are not kept: people sign in again after a restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from backend.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
MEDIA = "media"
KEYS = ("secret_key", "vapid_private_key.pem")  # in the data directory
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """What the operator must fix; the message says what."""


@dataclass(frozen=True)
class Summary:
    database: str
    media_files: int
    media_bytes: int


def _kind(settings: Settings) -> str:
    return "postgresql" if settings.is_postgres else "sqlite"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> str:
    """Copies a file, fsync'd, and returns the SHA-256 of what it wrote."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with source.open("rb") as read, target.open("wb") as write:
        while chunk := read.read(_CHUNK):
            digest.update(chunk)
            write.write(chunk)
        write.flush()
        os.fsync(write.fileno())
    return digest.hexdigest()


def _media_files(media_dir: Path) -> list[Path]:
    """The stored files: not the temporary files of writes in progress or the readiness probe
    (their names start with a dot)."""
    if not media_dir.is_dir():
        return []
    return sorted(
        path
        for path in media_dir.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(media_dir).parts)
    )


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump and pg_restore without its password, which goes in their environment
    (a command line is visible to every user of the machine)."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url, dict(os.environ)
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host)), {**os.environ, "PGPASSWORD": unquote(parts.password)}


def _run(command: list[str], what: str, environment: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed: {what} needs PostgreSQL's client programs (Debian: postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, target: Path) -> Summary:
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new directory")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds the keys and personal data
    files: dict[str, str] = {}
    if settings.is_postgres:
        url, environment = _libpq(settings.database_url)
        _run(["pg_dump", "--format=custom", f"--file={target / POSTGRES_FILE}", url], "pg_dump", environment)
        files[POSTGRES_FILE] = _sha256(target / POSTGRES_FILE)
    else:
        if not settings.sqlite_path.exists():
            raise BackupError(f"there is no database at {settings.sqlite_path}")
        source, copy = sqlite3.connect(settings.sqlite_path), sqlite3.connect(target / SQLITE_FILE)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        files[SQLITE_FILE] = _sha256(target / SQLITE_FILE)
    media_bytes = 0
    media = [] if settings.media_store != "local" else _media_files(settings.media_dir)
    bucket = _bucket_objects(settings)
    for path in media:
        name = f"{MEDIA}/{path.relative_to(settings.media_dir).as_posix()}"
        try:
            files[name] = _copy(path, target / name)
        except FileNotFoundError:
            continue  # deleted since the database was copied (an erasure): no row names it now
        media_bytes += (target / name).stat().st_size
    for key in KEYS:
        if (settings.data_dir / key).is_file():
            files[key] = _copy(settings.data_dir / key, target / key)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": _kind(settings),
        "files": files,
        # Media in an object store stay there (its own versioning or replication keeps them):
        # the backup lists each object, which restore finds again before it restores anything.
        "bucket": bucket,
    }
    _write_durably(target / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return Summary(_kind(settings), sum(name.startswith(f"{MEDIA}/") for name in files) + len(bucket), media_bytes)


def _bucket_objects(settings: Settings) -> dict[str, str]:
    """The object store's objects and their ETags ({} with local media)."""
    if settings.media_store == "local":
        return {}
    from backend.photos.storage import StoreUnavailable, media_store

    try:
        return media_store().objects()
    except StoreUnavailable:
        raise BackupError("the object store does not answer: no backup was made; try again once it does") from None


def _write_durably(path: Path, content: bytes) -> None:
    with path.open("wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())


def _manifest(source: Path) -> dict:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} holds no {MANIFEST}: it is not a finished backup") from None
    except ValueError:
        raise BackupError(f"{source / MANIFEST} cannot be read: the backup is damaged") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of another format ({manifest.get('format')!r}) than this release reads ({FORMAT})")
    return manifest


def verify(source: Path) -> dict:
    """The backup's manifest, once every file it lists is there with its checksum."""
    manifest = _manifest(source)
    damaged = []
    for name, sha256 in manifest["files"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != sha256:
            damaged.append(name)
    if damaged:
        raise BackupError(f"{len(damaged)} file(s) of the backup are missing or damaged, e.g. {', '.join(damaged[:3])}")
    return manifest


def _query(settings: Settings, sql: str):
    """One statement on the installation's database; the first column of its first row."""
    if settings.is_postgres:
        import asyncio

        import asyncpg

        async def run():
            connection = await asyncpg.connect(settings.database_url)
            try:
                return await connection.fetchval(sql)
            finally:
                await connection.close()

        return asyncio.run(run())
    connection = sqlite3.connect(settings.sqlite_path)
    try:
        with connection:
            row = connection.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        connection.close()


def _tables(settings: Settings) -> int:
    if settings.is_postgres:
        return _query(settings, "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    if not settings.sqlite_path.exists():
        return 0
    return _query(settings, "SELECT count(*) FROM sqlite_master WHERE type = 'table'")


def restore(settings: Settings, source: Path) -> Summary:
    """Into an empty installation: a database without tables, a media directory without files."""
    manifest = verify(source)
    if manifest["database"] != _kind(settings):
        raise BackupError(f"this is a backup of a {manifest['database']} database; this installation uses {_kind(settings)}")
    if tables := _tables(settings):
        raise BackupError(f"the database is not empty ({tables} tables): restore needs an installation without data; make a new database")
    if media := _media_files(settings.media_dir):
        raise BackupError(f"the media directory {settings.media_dir} is not empty ({len(media)} files): restore needs an empty one")
    files: dict[str, str] = manifest["files"]
    if listed := manifest.get("bucket"):
        if settings.media_store == "local":
            raise BackupError("the backup's media are in an object store: set MINSHENG_MEDIA_STORE=s3 and its bucket first")
        there = _bucket_objects(settings)
        if missing := [key for key, etag in listed.items() if there.get(key) != etag]:
            raise BackupError(f"{len(missing)} object(s) of the backup are not in the bucket as they were, e.g. {', '.join(missing[:3])}")
    if settings.is_postgres:
        url, environment = _libpq(settings.database_url)
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={url}", str(source / POSTGRES_FILE)], "pg_restore", environment)
    else:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in ("", "-wal", "-shm"):  # an empty file (or its journal) left by a start
            Path(f"{settings.sqlite_path}{leftover}").unlink(missing_ok=True)
        copy, target = sqlite3.connect(source / SQLITE_FILE), sqlite3.connect(settings.sqlite_path)
        try:
            copy.backup(target)
        finally:
            copy.close()
            target.close()
    # The public pages' version starts a new generation: no ETag a browser or proxy kept from
    # the old installation can match a page of this one (backend/web/caching.py).
    _query(settings, "DELETE FROM public_record_version")
    media_bytes = 0
    for name, sha256 in files.items():
        if name.startswith(f"{MEDIA}/"):
            target = settings.media_dir / name.removeprefix(f"{MEDIA}/")
            if _copy(source / name, target) != sha256:
                raise BackupError(f"{name} changed while it was restored")
            media_bytes += target.stat().st_size
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for key in KEYS:
        if key in files:
            # The installation's own key was made at its first start, for nothing yet.
            shutil.copyfile(source / key, settings.data_dir / key)
            os.chmod(settings.data_dir / key, 0o600)
    return Summary(manifest["database"], sum(name.startswith(f"{MEDIA}/") for name in files) + len(manifest.get("bucket", {})), media_bytes)
