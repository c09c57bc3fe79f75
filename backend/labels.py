"""The vocabulary's words in the person's language (``backend.web.i18n``): for the pages, the
feeds and the exports alike."""

from __future__ import annotations

from backend.vocabulary import (
    CASE_TYPE_LABELS,
    SATISFACTION_LABELS,
    SOLVED_LABELS,
    STATUS_LABELS,
    CaseType,
    Satisfaction,
    Solved,
    Status,
)
from backend.web import i18n


def status_label(status: str) -> str:
    return i18n.gettext(STATUS_LABELS[Status(status)])


def satisfaction_label(satisfaction: str) -> str:
    return i18n.gettext(SATISFACTION_LABELS[Satisfaction(satisfaction)])


def solved_label(solved: str) -> str:
    # Empty for a representative's rating, which rates the outcome and the attitude instead.
    return i18n.gettext(SOLVED_LABELS[Solved(solved)]) if solved else ""


def case_type_label(case_type: str) -> str:
    return i18n.gettext(CASE_TYPE_LABELS[CaseType(case_type)])
