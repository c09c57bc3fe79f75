"""Database engines. SQLite is tuned for durability: WAL, full sync, IMMEDIATE writes."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator, Awaitable, Callable, Iterable, Mapping

import aiosqlite
from asyncpg.exceptions import UniqueViolationError
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from backend.settings import Settings


class DurableSQLiteConnection(sqlite3.Connection):
    """Every connection Piccolo opens gets these pragmas (they are per connection)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA synchronous = FULL")
        self.execute("PRAGMA foreign_keys = ON")


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection, and a thread to run it, for every query
    outside a transaction (a list page opened the file five times). This one keeps the
    connections it opened, up to ``IDLE_CONNECTIONS`` idle, and gives each query one that no
    other query is using. Transactions still take a connection of their own."""

    IDLE_CONNECTIONS = 8

    def __init__(self, **config):
        super().__init__(**config)
        self._idle: list = []  # list operations are atomic: loops in other threads may share it

    async def _run_in_new_connection(self, query: str, args=None, query_type: str = "generic", table=None):
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's own way
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = self._idle.pop() if self._idle else await self._connection_to_keep()
        try:
            async with connection.execute(query, args or []) as cursor:
                await connection.commit()
                rows = await cursor.fetchall()
        except BaseException:
            connection.stop()  # in whatever state the failure left it: not for the next query
            raise
        if len(self._idle) < self.IDLE_CONNECTIONS:
            self._idle.append(connection)
        else:
            await connection.close()
        return rows

    async def _connection_to_keep(self):
        """A connection like Piccolo's (rows as dicts, the pragmas set) whose thread does not
        keep the process alive: an idle connection left open when a command's event loop ends
        would otherwise stop the interpreter from exiting (it waits for every other thread)."""
        connection = aiosqlite.connect(**self.connection_kwargs)
        connection._thread.daemon = True  # idle here means committed: nothing is lost with it
        await connection
        connection.row_factory = dict_factory
        return connection

    async def close_idle_connections(self) -> None:
        while self._idle:
            await self._idle.pop().close()


def engine_for(settings: Settings) -> Engine:
    if settings.is_postgres:
        return PostgresEngine(config={"dsn": settings.database_url})
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout is SQLite's busy timeout: writers from several workers queue instead of failing.
    return PooledSQLiteEngine(path=str(path), timeout=30, factory=DurableSQLiteConnection)


def engine() -> Engine:
    from piccolo.engine import engine_finder

    found = engine_finder()
    assert found is not None, "piccolo_conf.py defines DB"
    return found


async def prepare_database() -> None:
    """Per-database settings that persist in the file (WAL survives reconnects)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode = WAL")


# What to do once the write transaction in progress has committed (see ``after_commit``).
_on_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("on_commit", default=None)
# What to do inside it just before it commits, per hook the items collected (``before_commit``).
_before_commit: ContextVar[dict | None] = ContextVar("before_commit", default=None)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that takes the write lock up front on SQLite (no upgrade deadlocks)."""
    if _on_commit.get() is not None:  # nested: the outermost transaction commits
        yield
        return
    db = engine()
    hooks: list[Callable[[], None]] = []
    pending: dict = {}
    token, pending_token = _on_commit.set(hooks), _before_commit.set(pending)
    try:
        if isinstance(db, SQLiteEngine):
            async with db.transaction(transaction_type=TransactionType.immediate):
                yield
                await _run_before_commit(pending)
        else:
            async with db.transaction():
                yield
                await _run_before_commit(pending)
    finally:
        _on_commit.reset(token)
        _before_commit.reset(pending_token)
    # Only reached when the transaction committed: a rolled-back action announces nothing.
    for hook in hooks:
        hook()


async def _run_before_commit(pending: dict) -> None:
    # A hook may cause events of its own (a recomputation writes timeline entries): they are
    # collected anew and run in another round, until none is left.
    while pending:
        round_ = dict(pending)
        pending.clear()
        for hook, items in round_.items():
            await hook(items)


async def before_commit(hook: Callable[[set], Awaitable[None]], items: Iterable) -> None:
    """Call ``hook`` with every item collected for it, once, inside the current write
    transaction just before it commits (at once outside of one): work that depends on all the
    changes of a transaction, such as the figures of the cases it touched, is done once."""
    pending = _before_commit.get()
    if pending is None:
        await hook(set(items))
    else:
        pending.setdefault(hook, set()).update(items)


def after_commit(hook: Callable[[], None]) -> None:
    """Run ``hook`` once the current write transaction commits (at once outside of one, where
    each statement commits by itself)."""
    hooks = _on_commit.get()
    if hooks is None:
        hook()
    else:
        hooks.append(hook)


async def execute_many(sql: str, rows: list[tuple]) -> None:
    """One statement (with ``?`` placeholders) for many rows, in the current write transaction
    (or one of its own): bulk work without a round of query building per row."""
    if not rows:
        return
    async with write_transaction():
        db = engine()
        connection = db.current_transaction.get().connection
        if isinstance(db, SQLiteEngine):
            await connection.executemany(sql, rows)
        else:
            parts = sql.split("?")
            await connection.executemany("".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1], rows)


async def ping() -> None:
    """A query that needs nothing but the database: raises if it cannot be reached."""
    await engine().run_ddl("SELECT 1")


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, PooledSQLiteEngine):
        await db.close_idle_connections()


async def lock_row(table, row_id: int) -> None:
    """Inside write_transaction: hold one row until commit, so that check-then-write on what
    hangs from it is safe. PostgreSQL needs SELECT … FOR UPDATE; SQLite's IMMEDIATE
    transaction already holds the whole database."""
    if not isinstance(engine(), SQLiteEngine):
        await table.select(table.id).where(table.id == row_id).lock_rows()


def is_unique_violation(error: Exception) -> bool:
    """A UNIQUE constraint refused the write: another request took the name first."""
    if isinstance(error, sqlite3.IntegrityError):
        return str(error).startswith("UNIQUE constraint failed")
    return isinstance(error, UniqueViolationError)


def add_indexes(
    manager, indexes: Mapping[str, str] | None = None, unique: Mapping[str, str] | None = None, create: Iterable[str] = (), drop: Iterable[str] = ()
) -> None:
    """A migration's raw SQL for what Piccolo's columns cannot declare (indexes over several
    columns, partial ones): ``name → "table (columns) [WHERE …]"``, plus statements of its own
    (``create`` after the indexes, ``drop`` before dropping them). Raw SQL runs before a
    migration's tables, so it goes in a migration after theirs."""

    indexes, unique = indexes or {}, unique or {}

    async def forwards() -> None:
        db = engine()
        for name, definition in indexes.items():
            await db.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")
        for name, definition in unique.items():
            await db.run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {definition}")
        for statement in create:
            await db.run_ddl(statement)

    async def backwards() -> None:
        db = engine()
        for statement in drop:
            await db.run_ddl(statement)
        for name in [*indexes, *unique]:
            await db.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(forwards)
    manager.add_raw_backwards(backwards)


def word_search_sql(table: str) -> dict[str, list[str]]:
    """The raw SQL of a full-text index over ``<table>.words`` (words segmented by jieba, separated
    by spaces), per engine: SQLite keeps an FTS5 table ``<table>_fts`` in step by triggers;
    PostgreSQL has a GIN index ``<table>_words`` on the words' 'simple' ``tsvector``. Keys:
    ``sqlite``, ``sqlite_drop``, ``postgres``, ``postgres_drop``. (The cases' squashed migration
    writes the same SQL for ``case_search`` out in full: squashed migrations are never rewritten.)"""
    fts = f"{table}_fts"
    return {
        "sqlite": [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(words, content='{table}', content_rowid='id')",
            f"CREATE TRIGGER IF NOT EXISTS {table}_inserted AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts} (rowid, words) VALUES (new.id, new.words); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_deleted AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, words) VALUES ('delete', old.id, old.words); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_updated AFTER UPDATE ON {table} BEGIN "
            f"INSERT INTO {fts} ({fts}, rowid, words) VALUES ('delete', old.id, old.words); "
            f"INSERT INTO {fts} (rowid, words) VALUES (new.id, new.words); END",
        ],
        "sqlite_drop": [
            f"DROP TRIGGER IF EXISTS {table}_inserted",
            f"DROP TRIGGER IF EXISTS {table}_deleted",
            f"DROP TRIGGER IF EXISTS {table}_updated",
            f"DROP TABLE IF EXISTS {fts}",
        ],
        "postgres": [f"CREATE INDEX IF NOT EXISTS {table}_words ON {table} USING GIN (to_tsvector('simple', words))"],
        "postgres_drop": [f"DROP INDEX IF EXISTS {table}_words"],
    }
