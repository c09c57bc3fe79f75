"""The ``minsheng`` command: serve, migrate, seed-demo."""

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

    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=5,
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


@main.command("seed-demo")
def seed_demo() -> None:
    """Create departments, categories and accepted demo cases with timelines and photos."""
    from backend.demo import seed

    created = asyncio.run(seed())
    click.echo(f"demo data ready: {created} new cases")


if __name__ == "__main__":
    main()
