import os

from piccolo.conf.apps import AppConfig

from backend.departments.tables import Area, Category, CategoryQuestion, Department

APP_CONFIG = AppConfig(
    app_name="departments",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Department, Category, Area, CategoryQuestion],
    migration_dependencies=[],
    commands=[],
)
