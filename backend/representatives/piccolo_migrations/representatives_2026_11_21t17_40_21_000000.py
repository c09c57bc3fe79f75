"""A representative is invited to co-sign a suggestion once: the unique pair the services rely on
(Piccolo's columns cannot declare a unique pair, hence raw SQL, after the table's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T17:40:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "one co-signer row per suggestion and representative"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="representatives", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS suggestion_co_signer_once ON suggestion_co_signer (suggestion, account)"
        )

    async def drop():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS suggestion_co_signer_once")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
