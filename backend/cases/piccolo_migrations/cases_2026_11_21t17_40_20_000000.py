"""Indexes for browsing public cases and the full-text index of their words.

Each sort of the public list (``cases.browse``) reads a partial index of public cases in its
order, and the common filters have one each that ends in the newest-first order, so a page is a
short index range, not a scan. Nearby cases (same category, a box of latitude and longitude)
have their own. A supporter counts once per case. Search: SQLite keeps an FTS5 table over
``case_search.words`` in step by triggers; PostgreSQL has a GIN index on the words'
``tsvector`` in the 'simple' configuration (the words are already segmented by jieba).
Piccolo's columns cannot declare any of this, hence raw SQL per engine.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-21T17:40:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for browsing, nearby cases and supporters; full-text index of public words"

PUBLIC = "WHERE published_at IS NOT NULL"
INDEXES = {
    "cases_public_newest": f"cases (published_at, id) {PUBLIC}",
    "cases_public_updated": f"cases (updated_at, id) {PUBLIC}",
    "cases_public_supported": f"cases (support_count, id) {PUBLIC}",
    "cases_public_category": f"cases (category, published_at, id) {PUBLIC}",
    "cases_public_department": f"cases (department, published_at, id) {PUBLIC}",
    "cases_public_area": f"cases (area, published_at, id) {PUBLIC}",
    "cases_public_place": f"cases (category, latitude, longitude) {PUBLIC} AND latitude IS NOT NULL",
}
UNIQUE_INDEXES = {"support_once": 'support ("case", supporter)'}

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

    async def create():
        db = engine_finder()
        for name, definition in INDEXES.items():
            await db.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
        for name, definition in UNIQUE_INDEXES.items():
            await db.run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {definition}")
        for statement in SQLITE_SEARCH if isinstance(db, SQLiteEngine) else POSTGRES_SEARCH:
            await db.run_ddl(statement)

    async def drop():
        db = engine_finder()
        for statement in SQLITE_SEARCH_DROP if isinstance(db, SQLiteEngine) else POSTGRES_SEARCH_DROP:
            await db.run_ddl(statement)
        for name in [*INDEXES, *UNIQUE_INDEXES]:
            await db.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
