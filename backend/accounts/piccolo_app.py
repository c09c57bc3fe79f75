import os

from piccolo.conf.apps import AppConfig

from backend.accounts.tables import Account, ApiKey, AuditEvent, Invitation, Passkey, WebAuthnChallenge

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Account, Passkey, Invitation, WebAuthnChallenge, AuditEvent, ApiKey],
    migration_dependencies=["backend.departments.piccolo_app"],
    commands=[],
)
