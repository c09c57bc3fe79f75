import os

from piccolo.conf.apps import AppConfig

from backend.notifications.tables import AlertMessage, AlertSubscription, Message, MovedSubscription, NoticeWording, StaffNoticeChoice, StaffSubscription, Subscription

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Subscription, StaffSubscription, StaffNoticeChoice, NoticeWording, Message, MovedSubscription, AlertSubscription, AlertMessage],
    migration_dependencies=["backend.cases.piccolo_app", "backend.accounts.piccolo_app"],
    commands=[],
)
