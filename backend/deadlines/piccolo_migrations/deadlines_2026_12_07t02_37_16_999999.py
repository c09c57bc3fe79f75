"""One limit per type of case and clock: the unique pair the admins' upsert relies on (Piccolo's
columns cannot declare a unique pair, hence raw SQL, after the table's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T02:37:16:999999"
VERSION = "1.38.0"
DESCRIPTION = "unique deadline limit per case type and clock"

UNIQUE_INDEXES = {"deadline_limit_case_type_clock": "deadline_limit (case_type, clock)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="deadlines", description=DESCRIPTION)
    add_indexes(manager, unique=UNIQUE_INDEXES)
    return manager
