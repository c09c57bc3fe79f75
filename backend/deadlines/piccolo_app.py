import os

from piccolo.conf.apps import AppConfig

from backend.deadlines.tables import CalendarDay, DeadlineLimit, DeadlineWarning, ScheduleYear

APP_CONFIG = AppConfig(
    app_name="deadlines",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CalendarDay, ScheduleYear, DeadlineLimit, DeadlineWarning],
    migration_dependencies=["backend.accounts.piccolo_app"],
    commands=[],
)
