"""Automatic routing: a new case that an automatic rule fits (and whose map point is not near an
area's boundary) is accepted and assigned at once, without a moderator, through the workflow's
``route`` action as the system, in the transaction that filed it. A listener of the case being
filed (its ``submit`` entry); filing itself knows nothing of it."""

from __future__ import annotations

import logging

from backend.cases import workflow
from backend.cases.actions import Route
from backend.cases.lifecycle import fits_case_type
from backend.cases.services import Actor
from backend.cases.tables import Case
from backend.errors import Refusal
from backend.events import EntryAppended
from backend.routing import services
from backend.vocabulary import Role, Status

SYSTEM = Actor(Role.system)
FILED = "submit"  # the entry a new case starts its timeline with
log = logging.getLogger(__name__)


async def on_entries_appended(appended: set[EntryAppended]) -> None:
    """A listener (before commit): route each newly filed case an automatic rule fits."""
    for event in sorted(appended, key=lambda each: each.entry_id):
        if event.action != FILED or event.status_after != Status.submitted.value:
            continue
        case = await Case.select(Case.number, Case.case_type).where(Case.id == event.case_id).first()
        if case is None or not fits_case_type("route", case["case_type"]):
            continue
        suggestion = await services.suggestion_for(event.case_id)
        if suggestion is None or not suggestion.automatic:
            continue
        try:
            await workflow.perform(case["number"], Route(rule_id=suggestion.rule.id), SYSTEM)
        except Refusal as refused:  # refused before it wrote anything: the moderators route it
            log.warning("case %s not routed by rule %s: %s", case["number"], suggestion.rule.id, refused.message)
