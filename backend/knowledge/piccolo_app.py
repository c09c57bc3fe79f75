import os

from piccolo.conf.apps import AppConfig

from backend.knowledge.tables import KnowledgeEntry, KnowledgeRevision, KnowledgeSearch, ReplyTemplate

APP_CONFIG = AppConfig(
    app_name="knowledge",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[KnowledgeEntry, KnowledgeRevision, KnowledgeSearch, ReplyTemplate],
    migration_dependencies=["backend.departments.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
