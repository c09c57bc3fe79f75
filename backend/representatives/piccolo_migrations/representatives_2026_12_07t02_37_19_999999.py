"""A representative is invited to co-sign a suggestion once: the unique pair the services rely on
(Piccolo's columns cannot declare a unique pair, hence raw SQL, after the table's own migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T02:37:19:999999"
VERSION = "1.38.0"
DESCRIPTION = "one co-signer row per suggestion and representative"

UNIQUE_INDEXES = {"suggestion_co_signer_once": "suggestion_co_signer (suggestion, account)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="representatives", description=DESCRIPTION)
    add_indexes(manager, unique=UNIQUE_INDEXES)
    return manager
