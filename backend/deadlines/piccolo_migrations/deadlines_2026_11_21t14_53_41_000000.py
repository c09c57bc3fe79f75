"""One limit per type of case and clock: the unique pair the admins' upsert relies on (Piccolo's
columns cannot declare a unique pair, hence raw SQL, after the table's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T14:53:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique deadline limit per case type and clock"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deadlines", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS deadline_limit_case_type_clock ON deadline_limit (case_type, clock)"
        )

    async def drop():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS deadline_limit_case_type_clock")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
