"""One wording per notice, channel and language (raw SQL after the table's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T17:44:31:999999"
VERSION = "1.38.0"
DESCRIPTION = "one wording per notice, channel and language"

UNIQUE_INDEXES = {"notice_wording_unique": "notice_wording (notice, channel, language)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    add_indexes(manager, unique=UNIQUE_INDEXES)
    return manager
