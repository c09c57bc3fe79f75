"""The staff search's indexes (``cases.staff_search``): one saved view per name and person; the
filer's phone, for the centre's search by it; the day of filing, for its date range; each status
by deadline, for its deadline sort. After the saved views' table (raw SQL runs before a migration's tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T20:08:31:999999"
VERSION = "1.38.0"
DESCRIPTION = "the staff search's indexes"

INDEXES = {
    "cases_filer_phone": "cases (filer_phone)",
    "cases_created_at": "cases (created_at)",
    # A status's cases by their answer's deadline (then id): the search's deadline sort.
    "cases_status_answer_due": "cases (status, answer_due_at)",
}
UNIQUE_INDEXES = {"saved_view_account_name": "saved_view (account, name)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    add_indexes(manager, INDEXES, UNIQUE_INDEXES)
    return manager
