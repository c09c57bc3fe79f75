import os

from piccolo.conf.apps import AppConfig

from backend.photos.tables import Photo

APP_CONFIG = AppConfig(
    app_name="photos",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Photo],
    migration_dependencies=["backend.cases.piccolo_app"],
    commands=[],
)
