"""Partial indexes for the clock jobs (``cases.supervision``): each job first asks whether any
case is newly due, and these index only the cases still waiting for that flag, so the question
stays small however many cases there are. Both SQLite and PostgreSQL support them; Piccolo's
columns cannot declare them, hence raw SQL, after the columns' own migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T14:53:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes for the clock jobs"

INDEXES = {
    "cases_sign_unflagged": "sign_due_at) WHERE signed_at IS NULL AND sign_overdue_at IS NULL",
    "cases_contact_unflagged": "contact_due_at) WHERE contacted_at IS NULL AND contact_overdue_at IS NULL",
    "cases_response_unflagged": "response_due_at) WHERE responded_at IS NULL AND response_overdue_at IS NULL",
    "cases_answer_unflagged": "answer_due_at) WHERE answered_at IS NULL AND answer_overdue_at IS NULL",
    "cases_answer_unwarned": "answer_warning_at) WHERE answered_at IS NULL AND answer_warned_at IS NULL",
    "cases_answer_overdue_open": "answer_overdue_at) WHERE answered_at IS NULL AND answer_overdue_at IS NOT NULL",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def create():
        for name, definition in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON cases ({definition}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
