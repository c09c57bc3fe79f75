"""The sign-for reminder's index (``supervision.flag_sign_reminders``): only the cases not yet
signed for nor reminded, by their sign-for deadline. After the column's own migration (raw
SQL runs before a migration's tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T17:49:51:999999"
VERSION = "1.38.0"
DESCRIPTION = "the sign-for reminder's index"

INDEXES = {"cases_sign_unreminded": "cases (sign_due_at) WHERE signed_at IS NULL AND sign_reminded_at IS NULL"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    add_indexes(manager, INDEXES)
    return manager
