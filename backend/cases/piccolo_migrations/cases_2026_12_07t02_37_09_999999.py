"""The indexes of the cases' tables that Piccolo's columns cannot declare (indexes over several
columns, partial indexes, the full-text index), hence raw SQL per engine, after the tables'
own migration (Piccolo runs a migration's raw SQL before its tables).

- Clock jobs (``cases.supervision``): each job first asks whether any case is newly due; partial
  indexes of only the cases still waiting for that flag keep the question small however many
  cases there are.
- Figures (``cases.figures``): the counters are written with ``INSERT … ON CONFLICT (…) DO
  UPDATE``, which needs their unique indexes; they are also what the leaderboard, a department's
  page and ``/trends`` read.
- Browsing (``cases.browse``): each sort of the public list reads a partial index of public
  cases in its order, and the common filters have one each that ends in the newest-first order,
  so a page is a short index range, not a scan. Nearby cases (same category, a box of latitude
  and longitude) have their own. A supporter counts once per case.
- Search: SQLite keeps an FTS5 table over ``case_search.words`` in step by triggers; PostgreSQL
  has a GIN index on the words' ``tsvector`` in the 'simple' configuration (the words are
  already segmented by jieba).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from backend.db import add_indexes

ID = "2026-12-07T02:37:09:999999"
VERSION = "1.38.0"
DESCRIPTION = "indexes of the clock jobs, the figures, browsing, nearby cases, supporters and search"

PUBLIC = "WHERE published_at IS NOT NULL"
CLOCK_JOB_INDEXES = {
    "cases_sign_unflagged": "cases (sign_due_at) WHERE signed_at IS NULL AND sign_overdue_at IS NULL",
    "cases_contact_unflagged": "cases (contact_due_at) WHERE contacted_at IS NULL AND contact_overdue_at IS NULL",
    "cases_response_unflagged": "cases (response_due_at) WHERE responded_at IS NULL AND response_overdue_at IS NULL",
    "cases_answer_unflagged": "cases (answer_due_at) WHERE answered_at IS NULL AND answer_overdue_at IS NULL",
    "cases_answer_unwarned": "cases (answer_warning_at) WHERE answered_at IS NULL AND answer_warned_at IS NULL",
    "cases_answer_overdue_open": "cases (answer_overdue_at) WHERE answered_at IS NULL AND answer_overdue_at IS NOT NULL",
}
INDEXES = {
    **CLOCK_JOB_INDEXES,
    # The figures': a department's page reads its weeks and months; the leaderboard one period of all.
    "department_figure_period": "department_figure (period, starts)",
    # Browsing public cases
    "cases_public_newest": f"cases (published_at, id) {PUBLIC}",
    "cases_public_updated": f"cases (updated_at, id) {PUBLIC}",
    "cases_public_supported": f"cases (support_count, id) {PUBLIC}",
    "cases_public_category": f"cases (category, published_at, id) {PUBLIC}",
    "cases_public_department": f"cases (department, published_at, id) {PUBLIC}",
    "cases_public_area": f"cases (area, published_at, id) {PUBLIC}",
    "cases_public_place": f"cases (category, latitude, longitude) {PUBLIC} AND latitude IS NOT NULL",
}
UNIQUE_INDEXES = {
    "department_figure_key": "department_figure (department, period, starts, counter)",
    "topic_count_key": "topic_count (kind, day, topic)",
    "support_once": 'support ("case", supporter)',
}

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS case_search_fts USING fts5(words, content='case_search', content_rowid='id')",
    "CREATE TRIGGER IF NOT EXISTS case_search_inserted AFTER INSERT ON case_search BEGIN "
    "INSERT INTO case_search_fts (rowid, words) VALUES (new.id, new.words); END",
    "CREATE TRIGGER IF NOT EXISTS case_search_deleted AFTER DELETE ON case_search BEGIN "
    "INSERT INTO case_search_fts (case_search_fts, rowid, words) VALUES ('delete', old.id, old.words); END",
    "CREATE TRIGGER IF NOT EXISTS case_search_updated AFTER UPDATE ON case_search BEGIN "
    "INSERT INTO case_search_fts (case_search_fts, rowid, words) VALUES ('delete', old.id, old.words); "
    "INSERT INTO case_search_fts (rowid, words) VALUES (new.id, new.words); END",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS case_search_inserted",
    "DROP TRIGGER IF EXISTS case_search_deleted",
    "DROP TRIGGER IF EXISTS case_search_updated",
    "DROP TABLE IF EXISTS case_search_fts",
]
POSTGRES_SEARCH = ["CREATE INDEX IF NOT EXISTS case_search_words ON case_search USING GIN (to_tsvector('simple', words))"]
POSTGRES_SEARCH_DROP = ["DROP INDEX IF EXISTS case_search_words"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    sqlite = isinstance(engine_finder(), SQLiteEngine)
    add_indexes(
        manager,
        INDEXES,
        UNIQUE_INDEXES,
        create=SQLITE_SEARCH if sqlite else POSTGRES_SEARCH,
        drop=SQLITE_SEARCH_DROP if sqlite else POSTGRES_SEARCH_DROP,
    )
    return manager
