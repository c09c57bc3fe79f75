"""The SQLite engine keeps the connections it opened for the next queries (Piccolo's opened one,
and a thread, per query), and a process that used them still exits."""

from __future__ import annotations

import os
import subprocess
import sys

import aiosqlite
import pytest

from backend import db
from backend.departments.tables import Department
from tests.support import PROJECT_ROOT


@pytest.fixture
def sqlite_engine():
    engine = db.engine()
    if not isinstance(engine, db.PooledSQLiteEngine):
        pytest.skip("the pool is SQLite's; PostgreSQL has its own (asyncpg)")
    return engine


async def test_queries_reuse_the_connections_already_open(sqlite_engine, monkeypatch):
    await sqlite_engine.close_idle_connections()
    opened = []
    connect = aiosqlite.connect
    monkeypatch.setattr(aiosqlite, "connect", lambda *args, **kwargs: opened.append(1) or connect(*args, **kwargs))
    for _ in range(20):
        assert await Department.count() == 0
    assert len(opened) == 1
    await Department.insert(Department(name="市水务局", name_en="Water Bureau", slug="water"))
    assert await Department.select(Department.slug) == [{"slug": "water"}]  # the rows as dicts, the write committed
    assert len(opened) == 1


async def test_a_connection_a_query_failed_on_is_not_given_to_the_next(sqlite_engine):
    await Department.count()
    idle = len(sqlite_engine._idle)
    with pytest.raises(Exception):
        await sqlite_engine.run_ddl("SELECT * FROM no_such_table")
    assert len(sqlite_engine._idle) == idle - 1
    assert await Department.count() == 0


def test_a_command_that_leaves_connections_open_still_exits():
    """Idle connections' threads must not keep the interpreter waiting at exit (``minsheng
    invite`` hung so in the live tests)."""
    script = "import asyncio\nfrom backend.departments.tables import Department\nprint(asyncio.run(Department.count().run()))"
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0"


def test_every_table_is_emptied_between_tests():
    """A table the tests' wipe forgets keeps one test's rows for the next (``tests.support``)."""
    from piccolo.conf.apps import Finder

    from tests.support import TABLES_IN_DELETE_ORDER

    emptied = {table._meta.tablename for table in TABLES_IN_DELETE_ORDER()}
    every = {table._meta.tablename for table in Finder().get_table_classes()}
    # Kept on purpose: the public record's version only grows, so a page cached before a wipe
    # is never taken for one after it.
    kept = {"public_record_version"}
    assert every - emptied == kept, sorted(every - emptied)
