"""Languages: zh-CN (default) and English, chosen by cookie, else by Accept-Language.

Catalogues are read from the ``.po`` files at start-up, so there is no compile step to forget.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_percent
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGE_COOKIE = "lang"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    preferred = []
    for part in (accept_language or "")[:500].split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            preferred.append((quality, tag.replace("-", "_")))
    preferred.sort(key=lambda item: -item[0])
    for _, tag in preferred:
        if tag == "*":
            break
        match = Locale.negotiate([tag], list(LANGUAGES), sep="_")
        if match is None and tag.lower().startswith("zh"):
            match = "zh_CN"  # zh-TW or zh-HK readers are better served by Chinese than English
        if match:
            return str(match)
    return DEFAULT_LANGUAGE


def activate(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def html_lang() -> str:
    return current_language().replace("_", "-")


def gettext(message: str) -> str:
    return translations(current_language()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ungettext(singular, plural, n)


def format_time(value: datetime | None, time_zone: str, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, format=format, tzinfo=ZoneInfo(time_zone), locale=current_language())


def format_from_now(value: datetime, now: datetime) -> str:
    """'in 12 minutes', '2 hours ago': for countdowns to deadlines."""
    return format_timedelta(value - now, add_direction=True, locale=current_language())


def format_day(value: date, format: str = "full") -> str:
    """A calendar day (no time zone to convert): "2025年10月1日星期三", "Wednesday, October 1, 2025"."""
    return format_date(value, format=format, locale=current_language())


def format_share(value: float | None) -> str:
    """A share as a percentage in the reader's language; a dash when there is nothing to measure."""
    return "—" if value is None else format_percent(value, format="#,##0.#%", locale=current_language())
