"""The ``minsheng`` command: serve, migrate, invite, api-key create, seed-demo, figures, backup, restore,
media migrate."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

# piccolo_conf.py sits at the project's top level, beside backend/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@click.group()
def main() -> None:
    """Minsheng (民生): a public complaint and suggestion platform."""
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the app (migrate first)."""
    import uvicorn

    from backend.metrics import forget_ended_processes
    from backend.settings import get_settings
    from backend.web.observability import json_log_config

    settings = get_settings()
    # The workers' metrics start from nothing: what earlier processes counted is gone with them.
    forget_ended_processes(settings.metrics_directory)
    logs = {"access_log": False, "log_config": json_log_config()} if settings.log_format == "json" else {}
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=5,
        **logs,
    )


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (Piccolo migrations of every app)."""
    asyncio.run(_migrate())
    click.echo("database is up to date")


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from backend.db import prepare_database

    await prepare_database()
    response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise click.ClickException(response.message)


@main.command()
@click.option("--role", required=True, type=click.Choice(["admin", "moderator", "handler", "leader", "representative"]))
@click.option("--name", required=True, help="The person's name, as colleagues know it.")
@click.option("--department", "department_slug", default="", help="Handlers: the department's slug.")
@click.option("--body", default="", type=click.Choice(["", "npc", "cppcc"]), help="Representatives: npc (人大) or cppcc (政协).")
@click.option("--level", default="", type=click.Choice(["", "national", "provincial", "city", "county", "township"]))
@click.option("--constituency", default="", help="Representatives: their constituency.")
def invite(role: str, name: str, department_slug: str, body: str, level: str, constituency: str) -> None:
    """Print a one-time invitation URL (72 hours) for a new account: the first admin, say."""
    from backend.accounts.services import AccountError, InvitationForm

    try:
        issued, url = asyncio.run(_invite(InvitationForm(name, role, "", body, level, constituency), department_slug))
    except AccountError as error:
        raise click.ClickException("; ".join(f"{field or 'invitation'}: {message}" for field, message in error.errors.items())) from None
    from zoneinfo import ZoneInfo

    from backend.settings import get_settings

    expires = issued.expires_at.astimezone(ZoneInfo(get_settings().time_zone))
    click.echo(f"Invitation for {issued.name} ({role}), valid once until {expires:%Y-%m-%d %H:%M} ({expires.tzinfo}):")
    click.echo(url)


async def _invite(form, department_slug: str):
    from backend.accounts.audit import Who
    from backend.accounts.services import invite
    from backend.db import prepare_database
    from backend.departments.tables import Department
    from backend.settings import get_settings

    await prepare_database()
    if department_slug:
        department = await Department.select(Department.id).where(Department.slug == department_slug).first()
        form.department_id = str(department["id"]) if department else ""
    issued = await invite(form, actor=Who(None, "minsheng invite"))
    return issued, f"{get_settings().origin}/invitations/{issued.token}"


@main.group("api-key")
def api_key() -> None:
    """API keys for other platforms (the JSON API and Open311)."""


@api_key.command("create")
@click.option("--name", required=True, help="Who will use the key, e.g. \"12345 hotline\".")
@click.option("--scope", required=True, help="read, file, moderator, or staff:<department id>.")
def create_api_key(name: str, scope: str) -> None:
    """Make a key and print it once: only its hash is kept."""
    from backend.accounts.api_keys import ApiKeyError

    try:
        issued = asyncio.run(_create_api_key(name, scope))
    except ApiKeyError as error:
        raise click.ClickException("; ".join(f"{field}: {message}" for field, message in error.errors.items())) from None
    click.echo(f"API key {issued.name!r} ({issued.scope}); it is shown only this once:")
    click.echo(issued.key)


async def _create_api_key(name: str, scope: str):
    from backend.accounts.api_keys import create_key
    from backend.accounts.audit import Who
    from backend.db import prepare_database

    await prepare_database()
    return await create_key(name, scope, actor=Who(None, "minsheng api-key create"))


@main.command("seed-demo")
@click.option("--cases", "count", default=0, type=click.IntRange(0), help="Also add this many generated cases over two years, in bulk.")
def seed_demo(count: int) -> None:
    """Create departments, categories and accepted demo cases with timelines and photos."""
    from backend import listeners
    from backend.demo import seed

    # The commands that change cases or figures: what they write reaches the figures, the
    # search index and the public record's version (the others need no listener, and skip
    # loading them).
    listeners.wire()

    created = asyncio.run(seed())
    click.echo(f"demo data ready: {created} new cases")
    if count:
        from backend.demo_bulk import generate

        click.echo(f"generated {asyncio.run(generate(count))} more cases")


@main.group()
def figures() -> None:
    """The materialised department figures and topic counts."""


@figures.command("rebuild")
def figures_rebuild() -> None:
    """Recompute them from the cases (after a migration, a calendar change, or to repair)."""
    from backend import listeners
    from backend.cases.figures import rebuild

    listeners.wire()  # public pages learn that the figures changed

    counted = asyncio.run(rebuild())
    click.echo(f"figures rebuilt from {counted} cases")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup(directory: Path) -> None:
    """Copy the database, the media and the keys into DIRECTORY (new or empty), while the app runs."""
    from backend.backups import BackupError, backup as back_up
    from backend.settings import get_settings

    try:
        summary = back_up(get_settings(), directory)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up the {summary.database} database and {summary.media_files} media files ({summary.media_bytes} bytes) to {directory}")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore(directory: Path) -> None:
    """Restore a backup into this installation, which must be empty (no tables, no media)."""
    from backend.backups import BackupError, restore as bring_back
    from backend.settings import get_settings

    try:
        summary = bring_back(get_settings(), directory)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored the {summary.database} database and {summary.media_files} media files ({summary.media_bytes} bytes) from {directory}")
    click.echo("next: minsheng migrate (if this release is newer than the backup), then start the app")


@main.group()
def media() -> None:
    """The stored photos and PDFs."""


@media.command("migrate")
@click.option("--to", "target", required=True, type=click.Choice(["s3"]), help="Where to copy the media directory.")
def media_migrate(target: str) -> None:
    """Copy MINSHENG_MEDIA_DIR into the MINSHENG_S3_* bucket, verifying checksums; run it again
    to resume. Then set MINSHENG_MEDIA_STORE=s3."""
    from backend.photos.s3 import S3Store, migrate
    from backend.photos.storage import LocalStore, StoreUnavailable
    from backend.settings import get_settings

    settings = get_settings()
    if settings.s3 is None:
        raise click.ClickException("set MINSHENG_S3_BUCKET (and the other MINSHENG_S3_* settings) first")
    try:
        copied, skipped = migrate(LocalStore(settings.media_dir), S3Store(settings.s3), click.echo)
    except (StoreUnavailable, ValueError) as error:
        raise click.ClickException(f"{error}; run the command again to resume") from None
    click.echo(f"done: {copied} copied, {skipped} already in the bucket, all verified")


if __name__ == "__main__":
    main()
