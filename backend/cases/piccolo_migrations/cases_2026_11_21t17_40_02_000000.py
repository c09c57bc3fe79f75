"""Unique indexes for the materialised figures and topic counts (``cases.figures``): the
counters are written with ``INSERT … ON CONFLICT (…) DO UPDATE``, which needs them, and they are
also what the leaderboard, a department's page and ``/trends`` read. Piccolo's columns cannot
declare indexes over several columns, hence raw SQL after the tables' own migration."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T17:40:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes of the materialised figures"

INDEXES = {
    # A department's page reads its weeks and months; the leaderboard one period of all departments.
    "department_figure_key": "UNIQUE INDEX IF NOT EXISTS department_figure_key ON department_figure (department, period, starts, counter)",
    "department_figure_period": "INDEX IF NOT EXISTS department_figure_period ON department_figure (period, starts)",
    "topic_count_key": "UNIQUE INDEX IF NOT EXISTS topic_count_key ON topic_count (kind, day, topic)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    async def create():
        for definition in INDEXES.values():
            await engine_finder().run_ddl(f"CREATE {definition}")

    async def drop():
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
