"""A code names one question of its category: a unique index over both columns, which
Piccolo's columns cannot declare, hence raw SQL (the same on SQLite and PostgreSQL), after
the table's own migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T18:03:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "one code per question of a category"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="departments", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS category_question_code ON category_question (category, code)"
        )

    async def drop():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS category_question_code")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
