import os

from piccolo.conf.apps import AppConfig

from backend.cases.tables import (
    Callback,
    Case,
    CaseAnswer,
    CaseContribution,
    CaseMerge,
    CaseNumberCounter,
    CaseSearch,
    CoHandler,
    DepartmentFigure,
    EscalationStep,
    MovedSupport,
    Rating,
    RatingDispute,
    Support,
    TimelineEntry,
    PublicRecordVersion,
    SavedView,
    TopicCount,
)

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Case, TimelineEntry, CaseNumberCounter, CoHandler, Rating, CaseSearch, Support, DepartmentFigure, TopicCount, CaseContribution, CaseAnswer, PublicRecordVersion, CaseMerge, MovedSupport, Callback, RatingDispute, EscalationStep, SavedView],
    migration_dependencies=["backend.departments.piccolo_app", "backend.accounts.piccolo_app", "backend.knowledge.piccolo_app"],
    commands=[],
)
