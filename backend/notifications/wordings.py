"""The wording of each notice, as admins edit it: for each notice, channel and language, a text
that replaces the default (``notices._TEXTS``, translated). The placeholders are written
``{number}``, ``{department}``, ``{text}`` and ``{link}`` (an alert's digest: ``{count}``, ``{day}``,
``{topic}`` and ``{link}``); a wording is checked when it is saved:
only those placeholders, ``{link}`` kept where the default has it (the answer's rating form, the
address check), and a text message no longer than two segments with typical values.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from backend import clock
from backend.db import write_transaction
from backend.errors import FieldErrors
from backend.i18n_markers import N_
from backend.notifications.channels import CHANNELS, EMAIL, PUSH, SMS
from backend.notifications.notices import (
    FOLLOWER_NOTICES,
    FOLLOWER_PUBLISHED_NOTICES,
    Notice,
    default_line,
    needs_link,
    sms_segments,
)
from backend.notifications.tables import NoticeWording
from backend.web.i18n import LANGUAGES

PLACEHOLDERS = ("number", "department", "text", "link")
DIGEST_PLACEHOLDERS = ("count", "day", "topic", "link")  # an alert's digest: how many, which day, its area or category
WORDING_MAX = 500
SMS_SEGMENTS_MAX = 2
# Typical values, to measure a text message before anyone receives one.
SAMPLE = {
    "number": "2026-000123",
    "department": "市住房和城乡建设局",
    "text": "管道已于今日修复，请查看现场照片。",
    "link": "https://12345.example.gov.cn/follow/Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "count": "17",
    "day": "2026-12-07",
    "topic": "莲池区的供水",
}


class WordingError(FieldErrors):
    """A wording that cannot be kept: field (``channel:language``) → message id."""


@dataclass(frozen=True)
class Wordings:
    """The edited wordings in force: (notice, channel, language) → text with {placeholders}."""

    edited: dict[tuple[str, str, str], str]

    def of(self, notice: Notice, channel: str, language: str) -> str | None:
        return self.edited.get((notice.value, channel, language))


async def in_force() -> Wordings:
    rows = await NoticeWording.select(NoticeWording.notice, NoticeWording.channel, NoticeWording.language, NoticeWording.text)
    return Wordings({(row["notice"], row["channel"], row["language"]): row["text"] for row in rows})


_FOLLOWERS = frozenset({*FOLLOWER_NOTICES.values(), *FOLLOWER_PUBLISHED_NOTICES.values()})


def channels_of(notice: Notice) -> tuple[str, ...]:
    """The channels a notice goes out on: followers have email or a device, an address check
    is an email; the filer and staff have all three."""
    if notice in _FOLLOWERS or notice == Notice.alert_digest:
        return (EMAIL, PUSH)
    if notice in (Notice.verify, Notice.staff_verify):
        return (EMAIL,)
    return CHANNELS


def placeholders_of(notice: Notice) -> tuple[str, ...]:
    return DIGEST_PLACEHOLDERS if notice == Notice.alert_digest else PLACEHOLDERS


def render(wording: str, values: dict) -> str:
    return wording.format_map({name: values.get(name, "") for name in (*PLACEHOLDERS, *DIGEST_PLACEHOLDERS)})


def check(notice: Notice, channel: str, wording: str) -> str | None:
    """Why the wording cannot be used (a message id), or None."""
    if len(wording) > WORDING_MAX:
        return N_("Keep it under 500 characters.")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(wording) if name is not None}
    except ValueError:
        if notice == Notice.alert_digest:
            return N_("A brace is not closed: write placeholders as {count}, {day}, {topic} or {link}.")
        return N_("A brace is not closed: write placeholders as {number}, {department}, {text} or {link}.")
    if names - set(placeholders_of(notice)) or any(not re.fullmatch(r"[a-z]+", name) for name in names):
        if notice == Notice.alert_digest:
            return N_("Use only the placeholders {count}, {day}, {topic} and {link}.")
        return N_("Use only the placeholders {number}, {department}, {text} and {link}.")
    if needs_link(notice) and "link" not in names:
        return N_("This notice must keep {link}: it is how the person reaches the page it is about.")
    if channel == SMS and sms_segments(render(wording, SAMPLE)) > SMS_SEGMENTS_MAX:
        return N_("Too long for a text message: it must fit in two messages (about 130 Chinese characters) with typical values.")
    return None


def default_wording(notice: Notice, language: str) -> str:
    """The default, translated, with its placeholders as admins write them."""
    return re.sub(r"%\((\w+)\)s", r"{\1}", default_line(notice, language))


async def save(notice: Notice, typed: dict[tuple[str, str], str], who: str) -> None:
    """Keep the admin's wordings of one notice: (channel, language) → text; a text equal to the
    default (or empty) goes back to the default. Raises WordingError naming each wrong field."""
    errors = {}
    for (channel, language), wording in typed.items():
        if channel not in channels_of(notice) or language not in LANGUAGES:
            errors[f"{channel}:{language}"] = N_("There is no such channel or language.")
        elif wording.strip() and (why := check(notice, channel, wording.strip())):
            errors[f"{channel}:{language}"] = why
    if errors:
        raise WordingError(errors)
    async with write_transaction():
        for (channel, language), wording in typed.items():
            which = (NoticeWording.notice == notice.value) & (NoticeWording.channel == channel) & (NoticeWording.language == language)
            await NoticeWording.delete().where(which)
            wording = wording.strip()
            if wording and wording != default_wording(notice, language):
                await NoticeWording.insert(
                    NoticeWording(notice=notice.value, channel=channel, language=language, text=wording, changed_by_name=who, changed_at=clock.now())
                )
