"""The knowledge base's full-text search, made as the cases' (``db.word_search_sql``). After the
tables' own migration (raw SQL runs before a migration's tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from backend.db import add_indexes, word_search_sql

ID = "2026-12-07T17:10:46:999999"
VERSION = "1.38.0"
DESCRIPTION = "the knowledge base's full-text search"

SEARCH = word_search_sql("knowledge_search")
SQLITE_SEARCH, SQLITE_SEARCH_DROP = SEARCH["sqlite"], SEARCH["sqlite_drop"]
POSTGRES_SEARCH, POSTGRES_SEARCH_DROP = SEARCH["postgres"], SEARCH["postgres_drop"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="knowledge", description=DESCRIPTION)
    sqlite = isinstance(engine_finder(), SQLiteEngine)
    add_indexes(
        manager,
        create=SQLITE_SEARCH if sqlite else POSTGRES_SEARCH,
        drop=SQLITE_SEARCH_DROP if sqlite else POSTGRES_SEARCH_DROP,
    )
    return manager
