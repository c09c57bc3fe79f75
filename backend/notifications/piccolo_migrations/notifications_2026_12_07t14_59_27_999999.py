"""The outbox's queue: the workers look for messages due or whose claim ran out, and only
those, in order (a partial index over several columns, hence raw SQL after the tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T14:59:27:999999"
VERSION = "1.38.0"
DESCRIPTION = "the outbox's queue of undelivered messages"

INDEXES = {"notification_message_queue": "notification_message (status, due_at) WHERE status IN ('pending', 'sending')"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    add_indexes(manager, INDEXES)
    return manager
