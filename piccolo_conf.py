from piccolo.conf.apps import AppRegistry

from backend.db import engine_for
from backend.settings import get_settings

DB = engine_for(get_settings())

# One Piccolo app per bounded context, each with its own migrations; order follows dependencies.
APP_REGISTRY = AppRegistry(
    apps=[
        "backend.departments.piccolo_app",
        "backend.knowledge.piccolo_app",
        "backend.cases.piccolo_app",
        "backend.photos.piccolo_app",
        "backend.accounts.piccolo_app",
        "backend.deadlines.piccolo_app",
        "backend.representatives.piccolo_app",
        "backend.notifications.piccolo_app",
        "backend.routing.piccolo_app",
    ]
)
