"""The Jinja environment: translations, localised times, versioned static URLs. Plumbing only:
what templates call of the domain (labels, home pages) the app factory registers
(``backend.template_globals``)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from backend import clock
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
        local_name=local_name,
        html_lang=i18n.html_lang,
        current_language=i18n.current_language,
        languages=i18n.LANGUAGES,
        now=clock.now,  # the injectable clock: tests travel in time
    )
    environment.filters["local_time"] = local_time
    environment.filters["from_now"] = from_now
    environment.filters["percent"] = i18n.format_share
    environment.filters["local_date"] = i18n.format_day
    return environment


def template_config(environment: Environment) -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))
