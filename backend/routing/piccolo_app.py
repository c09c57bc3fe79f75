import os

from piccolo.conf.apps import AppConfig

from backend.routing.tables import RoutingRule, RoutingRuleCoHandler, RuleRouting

APP_CONFIG = AppConfig(
    app_name="routing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[RoutingRule, RoutingRuleCoHandler, RuleRouting],
    migration_dependencies=["backend.departments.piccolo_app", "backend.cases.piccolo_app"],
    commands=[],
)
