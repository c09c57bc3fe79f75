"""Each subscriber's digest of a day once (raw SQL after the tables' own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T21:00:07:999999"
VERSION = "1.38.0"
DESCRIPTION = "one digest per alert subscription and day"

UNIQUE_INDEXES = {"alert_message_digest_unique": "alert_message (subscription, day)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    add_indexes(manager, unique=UNIQUE_INDEXES)
    return manager
