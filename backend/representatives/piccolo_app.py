import os

from piccolo.conf.apps import AppConfig

from backend.representatives.tables import Attachment, CoSigner, Suggestion

APP_CONFIG = AppConfig(
    app_name="representatives",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Suggestion, CoSigner, Attachment],
    migration_dependencies=["backend.cases.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
