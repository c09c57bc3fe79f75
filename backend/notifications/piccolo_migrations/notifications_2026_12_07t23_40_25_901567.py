from functools import partial

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

from backend.db import engine

ID = "2026-12-07T23:40:25:901567"
VERSION = "1.38.0"
DESCRIPTION = "staff_subscription.verified_at (a staff email confirmed by a link); notification_message.case empty for that check"


class _Manager(MigrationManager):
    """SQLite cannot drop a NOT NULL with ALTER TABLE: there the table is rebuilt instead
    (``_rebuild``), and the alteration stays declared for Piccolo's snapshots."""

    async def _run_alter_columns(self, backwards: bool = False):
        if engine().engine_type != "sqlite":
            await super()._run_alter_columns(backwards=backwards)


async def _rebuild(nullable: bool) -> None:
    """SQLite's way to change a column's constraint: the table made again from its own SQL,
    the rows copied, its indexes made again."""
    db = engine()
    if db.engine_type != "sqlite":
        return
    [table] = await db.run_ddl("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'notification_message'")
    indexes = await db.run_ddl(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notification_message' AND sql IS NOT NULL"
    )
    declared, made = ('"case" INTEGER NOT NULL', '"case" INTEGER') if nullable else ('"case" INTEGER', '"case" INTEGER NOT NULL')
    head, found, tail = table["sql"].partition(declared)
    assert found, "notification_message.case is declared as expected"
    await db.run_ddl("ALTER TABLE notification_message RENAME TO notification_message_old")
    await db.run_ddl(head + made + tail)
    # Going back, the checks of staff email addresses (of no case) cannot stay.
    await db.run_ddl("INSERT INTO notification_message SELECT * FROM notification_message_old" + ("" if nullable else ' WHERE "case" IS NOT NULL'))
    await db.run_ddl("DROP TABLE notification_message_old")
    for index in indexes:
        await db.run_ddl(index["sql"])


async def forwards():
    manager = _Manager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_raw(partial(_rebuild, nullable=True))
    manager.add_raw_backwards(partial(_rebuild, nullable=False))

    manager.add_column(
        table_class_name="StaffSubscription",
        tablename="staff_subscription",
        column_name="verified_at",
        db_column_name="verified_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="Message",
        tablename="notification_message",
        column_name="case",
        db_column_name="case",
        params={"null": True},
        old_params={"null": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
