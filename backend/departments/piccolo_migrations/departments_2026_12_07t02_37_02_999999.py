"""A code names one question of its category: a unique index over both columns, which
Piccolo's columns cannot declare, hence raw SQL (the same on SQLite and PostgreSQL), after
the table's own migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T02:37:02:999999"
VERSION = "1.38.0"
DESCRIPTION = "one code per question of a category"

UNIQUE_INDEXES = {"category_question_code": "category_question (category, code)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="departments", description=DESCRIPTION)
    add_indexes(manager, unique=UNIQUE_INDEXES)
    return manager
