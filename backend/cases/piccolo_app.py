import os

from piccolo.conf.apps import AppConfig

from backend.cases.tables import Case, CaseAnswer, CaseNumberCounter, CaseSearch, CoHandler, Rating, Support, TimelineEntry

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Case, TimelineEntry, CaseNumberCounter, CoHandler, Rating, CaseSearch, Support, CaseAnswer],
    migration_dependencies=["backend.departments.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
