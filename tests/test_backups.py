"""``minsheng backup`` and ``minsheng restore`` as an operator runs them: a backup of an
installation with cases, photos and accounts, restored into a new, empty one (a new database on
PostgreSQL), which then holds the same rows and files, and serves them: the filer's follow link
and photo work, and the admin signs in with the same passkey."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from backend.settings import get_settings
from tests.support import PROJECT_ROOT, LiveServer, jpeg, report_fields, submission_key


def minsheng(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def tables() -> list[str]:
    from tests.support import TABLES_IN_DELETE_ORDER

    return [table._meta.tablename for table in TABLES_IN_DELETE_ORDER()]


async def _postgres_rows(url: str) -> dict[str, list]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return {name: [tuple(row) for row in await connection.fetch(f'SELECT * FROM "{name}" ORDER BY 1')] for name in tables()}
    finally:
        await connection.close()


def rows(database_url: str) -> dict[str, list]:
    """Every row of every table, as the database driver reads it."""
    if database_url.startswith("postgresql://"):
        return asyncio.run(_postgres_rows(database_url))
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
    try:
        return {name: connection.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in tables()}
    finally:
        connection.close()


def public_record_versions(database_url: str) -> int:
    if database_url.startswith("postgresql://"):
        import asyncpg

        async def count() -> int:
            connection = await asyncpg.connect(database_url)
            try:
                return await connection.fetchval("SELECT count(*) FROM public_record_version")
            finally:
                await connection.close()

        return asyncio.run(count())
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        return connection.execute("SELECT count(*) FROM public_record_version").fetchone()[0]


def files(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in directory.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


async def _admin(server_url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def empty_installation(tmp_path):
    """The settings of a new installation: its own data and media directories and a database
    without tables (on PostgreSQL a new database on the same server, dropped afterwards)."""
    settings = get_settings()
    env = {"MINSHENG_DATA_DIR": str(tmp_path / "new-data"), "MINSHENG_MEDIA_DIR": str(tmp_path / "new-media")}
    if settings.is_postgres:
        name = f"{urlsplit(settings.database_url).path.lstrip('/')}_restored"
        server = urlunsplit(urlsplit(settings.database_url)._replace(path="/postgres"))
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        env["MINSHENG_DATABASE_URL"] = urlunsplit(urlsplit(settings.database_url)._replace(path=f"/{name}"))
        yield env
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        env["MINSHENG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'new-data' / 'minsheng.sqlite3'}"
        yield env


async def file_a_case_with_a_photo(client, category_id: int, colour=(200, 80, 40)) -> tuple[str, str]:
    """The follow link and the photo's URL."""
    form = await client.get("/report")
    picture = jpeg(colour=colour)
    upload = await client.post("/photos", files=[("photos", ("a.jpg", picture, "image/jpeg"))], headers={"hx-request": "true"})
    keys = re.findall(r'name="photo_key" value="([^"]+)"', upload.text)
    filed = await client.post("/report", data={**report_fields(category_id), "submission_key": submission_key(form.text), "photo_key": keys})
    assert filed.status_code == 303
    follow = filed.headers["location"].split("?")[0]
    page = await client.get(follow)
    photo = re.search(r'/media/[0-9a-f]{64}\.jpg', page.text).group(0)
    return follow, photo


@pytest.mark.slow
async def test_a_backup_restores_into_an_empty_installation_with_its_cases_photos_and_accounts(
    client, person, categories, empty_installation, tmp_path
):
    settings = get_settings()
    admin = await person("admin", name="王管理员")
    follow, photo = await file_a_case_with_a_photo(client, categories["water"].id)
    await file_a_case_with_a_photo(client, categories["roads"].id, colour=(20, 90, 200))
    backup = tmp_path / "backup"

    # The run's media directory also holds what earlier tests stored: all of it is backed up.
    stored = [path for path in settings.media_dir.rglob("*") if path.is_file() and not path.name.startswith(".")]
    assert len(stored) >= 4  # each photo's display size and thumbnail
    made = await asyncio.to_thread(minsheng, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert f"{'postgresql' if settings.is_postgres else 'sqlite'} database and {len(stored)} media files" in made.stdout
    manifest = json.loads((backup / "manifest.json").read_text())
    assert len([name for name in manifest["files"] if name.startswith("media/")]) == len(stored)
    assert oct((backup).stat().st_mode & 0o777) == "0o700"

    restored = await asyncio.to_thread(minsheng, "restore", str(backup), **empty_installation)
    assert restored.returncode == 0, restored.stderr
    before, after = await asyncio.to_thread(rows, settings.database_url), await asyncio.to_thread(rows, empty_installation["MINSHENG_DATABASE_URL"])
    assert after == before
    assert len(after["cases"]) == 2 and len(after["photo"]) == 2 and any("王管理员" in map(str, row) for row in after["account"])
    assert files(Path(empty_installation["MINSHENG_MEDIA_DIR"])) == files(settings.media_dir)
    # The public pages start a new generation: no ETag kept from the old installation matches.
    assert await asyncio.to_thread(public_record_versions, settings.database_url) == 1
    assert await asyncio.to_thread(public_record_versions, empty_installation["MINSHENG_DATABASE_URL"]) == 0

    # The restored installation serves it all: the follow link, the photo, the admin's passkey.
    server = await asyncio.to_thread(LiveServer(env=empty_installation).start)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
            page = await browser.get(follow)
            assert page.status_code == 200 and "小区停电三四天" in page.text
            assert (await browser.get(photo)).content == (await client.get(photo)).content
            options = (await browser.post("/login/options", json={}, headers={"sec-fetch-site": "same-origin"})).json()
            credential = admin.authenticator.get(options, origin=server.url)
            signed_in = await browser.post(
                "/login", json={"credential": credential, "next": "/admin"}, headers={"sec-fetch-site": "same-origin", "accept": "application/json"}
            )
            assert signed_in.status_code == 200, signed_in.text
            accounts = await browser.get("/admin/accounts")
            assert accounts.status_code == 200 and "王管理员" in accounts.text
    finally:
        await asyncio.to_thread(server.stop)


async def test_restore_refuses_an_installation_that_is_not_empty(client, categories, tmp_path):
    await file_a_case_with_a_photo(client, categories["water"].id)
    backup = tmp_path / "backup"
    assert (await asyncio.to_thread(minsheng, "backup", str(backup))).returncode == 0
    again = await asyncio.to_thread(minsheng, "restore", str(backup))  # into this very installation
    assert again.returncode == 1
    assert "the database is not empty" in again.stderr and "restore needs an installation without data" in again.stderr
    into_a_backup = await asyncio.to_thread(minsheng, "backup", str(backup))
    assert into_a_backup.returncode == 1 and "is not empty: back up into a new directory" in into_a_backup.stderr


async def test_restore_refuses_a_damaged_or_unfinished_backup(client, categories, tmp_path, empty_installation):
    await file_a_case_with_a_photo(client, categories["water"].id)
    backup = tmp_path / "backup"
    assert (await asyncio.to_thread(minsheng, "backup", str(backup))).returncode == 0
    photo = next((backup / "media").rglob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-10])
    damaged = await asyncio.to_thread(minsheng, "restore", str(backup), **empty_installation)
    assert damaged.returncode == 1 and "1 file(s) of the backup are missing or damaged" in damaged.stderr
    (backup / "manifest.json").unlink()
    unfinished = await asyncio.to_thread(minsheng, "restore", str(backup), **empty_installation)
    assert unfinished.returncode == 1 and "it is not a finished backup" in unfinished.stderr
    assert not Path(empty_installation["MINSHENG_MEDIA_DIR"]).exists()  # nothing was changed


def test_the_database_password_stays_off_the_command_line():
    from backend.backups import _libpq

    url, environment = _libpq("postgresql://minsheng:s%40cret@db.example:5432/minsheng?sslmode=require")
    assert url == "postgresql://minsheng@db.example:5432/minsheng?sslmode=require" and environment["PGPASSWORD"] == "s@cret"
    assert _libpq("postgresql://postgres@127.0.0.1:5432/x")[0] == "postgresql://postgres@127.0.0.1:5432/x"
