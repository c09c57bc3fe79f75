"""The staff subscriptions made before email and SMS were offered to staff are devices, confirmed
when they were added (raw SQL after the column's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import engine

ID = "2026-12-07T23:40:25:999999"
VERSION = "1.38.0"
DESCRIPTION = "staff devices added before are confirmed"


async def _confirmed() -> None:
    await engine().run_ddl("UPDATE staff_subscription SET verified_at = created_at WHERE verified_at IS NULL")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)
    manager.add_raw(_confirmed)
    return manager
