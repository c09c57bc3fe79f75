"""The Jinja environment: translations, localised times, versioned static URLs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from backend import clock
from backend.accounts.guards import home_path
from backend.vocabulary import (
    CASE_TYPE_LABELS,
    CITIZEN_CASE_TYPES,
    SATISFACTION_LABELS,
    SOLVED_LABELS,
    STATUS_LABELS,
    CaseType,
    Satisfaction,
    Solved,
    Status,
)
from backend.cases.lifecycle import entry_label
from backend.photos.pipeline import DISPLAY_LONG_SIDE
from backend.settings import get_settings
from backend.web import i18n

FRONTEND_DIR = Path(__file__).resolve().parent.parent.parent / "frontend"
TEMPLATE_DIR = FRONTEND_DIR / "templates"
STATIC_DIR = FRONTEND_DIR / "static"


@lru_cache(maxsize=None)
def _content_version(name: str) -> str:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise FileNotFoundError(f"static file {name} is missing (run the setup step that vendors assets)")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A URL that changes with the file's content, so it can be cached for a year."""
    return f"/static/{name}?v={_content_version(name)}"


def local_name(chinese: str | None, english: str | None) -> str:
    """Names of departments and categories: the English one in English, when there is one."""
    if i18n.current_language() == "en" and english:
        return english
    return chinese or ""


def status_label(status: str) -> str:
    return i18n.gettext(STATUS_LABELS[Status(status)])


def satisfaction_label(satisfaction: str) -> str:
    return i18n.gettext(SATISFACTION_LABELS[Satisfaction(satisfaction)])


def solved_label(solved: str) -> str:
    # Empty for a representative's rating, which rates the outcome and the attitude instead.
    return i18n.gettext(SOLVED_LABELS[Solved(solved)]) if solved else ""


def case_type_label(case_type: str) -> str:
    return i18n.gettext(CASE_TYPE_LABELS[CaseType(case_type)])


def local_time(value, format: str = "medium") -> str:
    return i18n.format_time(value, get_settings().time_zone, format)


def from_now(value) -> str:
    return i18n.format_from_now(value, clock.now())


def build_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        static_url=static_url,
        home_path=home_path,
        entry_label=entry_label,
        local_name=local_name,
        status_label=status_label,
        case_type_label=case_type_label,
        satisfaction_label=satisfaction_label,
        solved_label=solved_label,
        html_lang=i18n.html_lang,
        current_language=i18n.current_language,
        languages=i18n.LANGUAGES,
        case_types=[t.value for t in CITIZEN_CASE_TYPES],
        satisfactions=[s.value for s in Satisfaction],
        solved_choices=[s.value for s in Solved],
        now=clock.now,  # the injectable clock: tests travel in time
        photo_max_side=DISPLAY_LONG_SIDE,  # browsers shrink bigger photos to this before upload
    )
    environment.filters["local_time"] = local_time
    environment.filters["from_now"] = from_now
    environment.filters["percent"] = i18n.format_share
    environment.filters["local_date"] = i18n.format_day
    return environment


def template_config(environment: Environment) -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
