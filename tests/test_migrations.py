"""The migrations make exactly the schema the tables declare.

The test run's database was migrated from zero (``conftest.database``). A second database is made
straight from the table classes (``create_db_tables``), in a process of its own, and both are
read back from the database itself: the same tables with the same columns (type, nullability,
default), the same indexes, and besides those only the indexes, full-text table and triggers
that the raw-SQL migrations add because Piccolo's columns cannot declare them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from backend.settings import get_settings
from tests.support import PROJECT_ROOT

MAKE_TABLES = """
from piccolo.conf.apps import Finder
from piccolo.table import create_db_tables_sync

create_db_tables_sync(*Finder().get_table_classes())
"""
APPS = ["accounts", "cases", "deadlines", "departments", "knowledge", "notifications", "photos", "representatives", "routing"]


def _raw_objects(sqlite: bool) -> set[str]:
    """What the raw-SQL migrations create on this engine: their indexes, and the full-text
    search's (SQLite: a table and triggers; PostgreSQL: an index)."""
    names = set()
    for app in APPS:
        package = importlib.import_module(f"backend.{app}.piccolo_migrations")
        for module in pkgutil.iter_modules(package.__path__):
            migration = importlib.import_module(f"{package.__name__}.{module.name}")
            for attribute in ("INDEXES", "UNIQUE_INDEXES"):
                names |= set(getattr(migration, attribute, {}))
            for statement in getattr(migration, "SQLITE_SEARCH" if sqlite else "POSTGRES_SEARCH", []):
                names.add(statement.split(" IF NOT EXISTS ")[1].split()[0])
    return names


def _sqlite_schema(path: str) -> tuple[dict, dict]:
    connection = sqlite3.connect(path)
    try:
        tables = {}
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            tables[name] = sorted(
                (row[1], row[2].upper(), bool(row[3]), row[4], bool(row[5])) for row in connection.execute(f'PRAGMA table_info("{name}")')
            )
        others = {
            name: (kind, table)
            for kind, name, table in connection.execute(
                "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_autoindex%'"
            )
        }
        # Unnamed unique constraints are indexes SQLite names itself: compare them by their columns.
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in connection.execute(f'PRAGMA index_list("{table}")'):
                if row[1].startswith("sqlite_autoindex"):
                    columns = [info[2] for info in connection.execute(f'PRAGMA index_info("{row[1]}")')]
                    others[f"unique {table} {columns}"] = ("index", table)
        return tables, others
    finally:
        connection.close()


async def _postgres_schema(url: str) -> tuple[dict, dict]:
    connection = await asyncpg.connect(url)
    try:
        tables = {}
        for row in await connection.fetch(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public'"
        ):
            tables.setdefault(row["table_name"], []).append(tuple(row.values())[1:])
        others = {
            row["indexname"]: ("index", row["tablename"], row["indexdef"])
            for row in await connection.fetch("SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        }
        return {name: sorted(columns) for name, columns in tables.items()}, others
    finally:
        await connection.close()


def _make_tables(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "-c", MAKE_TABLES],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MINSHENG_DATABASE_URL": database_url, "PICCOLO_CONF": "piccolo_conf"},
        check=True,
        capture_output=True,
    )


@pytest.fixture
async def schemas(database, tmp_path):
    """(migrated, made from the tables): each as (tables → columns, other objects)."""
    if database.startswith("sqlite"):
        straight = tmp_path / "tables.sqlite3"
        _make_tables(f"sqlite:///{straight}")
        return _sqlite_schema(str(get_settings().sqlite_path)), _sqlite_schema(str(straight))
    name = f"minsheng_tables_{secrets.token_hex(4)}"
    server = urlunsplit(urlsplit(database)._replace(path="/postgres"))
    straight = urlunsplit(urlsplit(database)._replace(path=f"/{name}"))
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            _make_tables(straight)
            return await _postgres_schema(database), await _postgres_schema(straight)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_a_database_migrated_from_zero_has_the_tables_schema(schemas, database):
    (migrated_tables, migrated_others), (declared_tables, declared_others) = schemas
    raw = _raw_objects(sqlite=database.startswith("sqlite"))
    assert raw, "the raw-SQL migrations name what they create"
    # Piccolo's own bookkeeping, and SQLite's full-text table with its shadow tables, come only from migrations.
    bookkeeping = {name for name in migrated_tables if name == "migration" or name.startswith(("case_search_fts", "knowledge_search_fts"))}
    assert {name for name in migrated_tables if name not in bookkeeping} == set(declared_tables)
    for name, columns in declared_tables.items():
        assert migrated_tables[name] == columns, name
    # Every index the columns declare, the same; besides them exactly the raw migrations' objects.
    for name, found in declared_others.items():
        assert migrated_others.get(name) == found, name
    extra = {name for name, (kind, table, *_) in migrated_others.items() if name not in declared_others and table not in bookkeeping}
    assert extra | (bookkeeping - {"migration"}) >= raw, sorted(raw - extra)  # every raw object is there
    assert extra <= raw, sorted(extra - raw)  # and nothing else


# The squash (README, Layout): changes made after it are migrations of their own.
SQUASHED_ON = "2026_12_07t02_37_20"


def test_one_tables_migration_per_app_and_one_for_its_raw_sql_at_most():
    for app in APPS:
        files = sorted(Path(PROJECT_ROOT, "backend", app, "piccolo_migrations").glob(f"{app}_*.py"))
        squashed = [path for path in files if path.stem.removeprefix(f"{app}_") < SQUASHED_ON]
        assert files and len(squashed) <= 2, (app, files)  # an app made since has only its own
