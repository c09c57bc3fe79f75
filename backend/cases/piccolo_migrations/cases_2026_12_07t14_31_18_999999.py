"""The retention job's index (``cases.retention``): only the cases whose personal data is still
kept, by status and last change, so that each batch reads just the finished cases past the
period (not the open ones before them), and asking each minute whether any is due stays small
however many cases there are. After the column's own migration (raw SQL runs before a migration's tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T14:31:18:999999"
VERSION = "1.38.0"
DESCRIPTION = "the retention job's index of the cases not yet anonymised"

INDEXES = {"cases_not_anonymised": "cases (status, updated_at) WHERE anonymised_at IS NULL"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    add_indexes(manager, INDEXES)
    return manager
