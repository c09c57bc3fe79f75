"""The index of the cases waiting for a person to read them before they go public (an automatic
routing rule assigned them: the ``publish`` row), which the moderation queue lists: few among
all the unpublished cases, most of which are private."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from backend.db import add_indexes

ID = "2026-12-07T21:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the index of the cases awaiting publication"

INDEXES = {"cases_awaiting_publication": "cases (created_at, id) WHERE published_at IS NULL AND publication_consent"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    add_indexes(manager, INDEXES)
    return manager
