"""The escalation ladder (三色督办) of the answer clock, as data per type of case.

The steps, by the share of the answer's working time used:
- yellow card (黄牌) at the warning share (the admins' warning at ``/admin/deadlines``): the
  clock job's ``answer_warning`` entry, for the department and the leader in charge;
- red card (红牌) once the answer is overdue: the ``overdue_answer`` entry and the automatic,
  public supervision (``auto_supervise``), for the department and every leader;
- the leaders' attention once the answer is still missing ``leader_after_hours`` working hours
  after its deadline: the ``leader_attention`` entry, for every leader.

Each step is one idempotent clock job in ``supervision`` writing one timeline entry; whom it
tells is the entry's row of ``notifications.notices.STAFF_NOTICES``. No step touches the
deadlines: the answer clock runs on. The department figures count the cards (``figures``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from backend import clock
from backend.accounts.audit import AuditAction, Who, record
from backend.cases.tables import EscalationStep
from backend.errors import FieldErrors
from backend.i18n_markers import N_
from backend.vocabulary import CASE_TYPE_LABELS, CaseType


class Level(str, enum.Enum):
    none = "none"
    yellow = "yellow"
    red = "red"
    leaders = "leaders"


LEVEL_LABELS = {
    Level.none: N_("On time"),
    Level.yellow: N_("Yellow card (黄牌)"),
    Level.red: N_("Red card (红牌)"),
    Level.leaders: N_("Escalated to the leaders"),
}
# The entry each step writes (``supervision``'s jobs).
LEVEL_ENTRIES = {Level.yellow: "answer_warning", Level.red: "overdue_answer", Level.leaders: "leader_attention"}
CARD_ENTRIES = {LEVEL_ENTRIES[Level.yellow]: "yellow_cards", LEVEL_ENTRIES[Level.red]: "red_cards"}  # entry → figure

# Working hours past the overdue answer before the leaders hear of it: a consultation is due in a
# day, so a day late is long; a suggestion has five.
DEFAULT_LEADER_AFTER_HOURS = {
    CaseType.consultation: 4,
    CaseType.complaint: 8,
    CaseType.suggestion: 16,
    CaseType.representative: 40,
}
MOST_HOURS = 2000


def level(now: datetime, warning_at: datetime, due_at: datetime, hours_past_due: float, leader_after_hours: int) -> Level:
    """The step of the ladder an unanswered case stands on at ``now``: ``warning_at`` is when the
    warning share of its answer's working time is used up (``clock_columns``), ``due_at`` when all
    of it is, and ``hours_past_due`` the working hours since."""
    if now < warning_at:
        return Level.none
    if now <= due_at:
        return Level.yellow
    return Level.leaders if hours_past_due >= leader_after_hours else Level.red


@dataclass(frozen=True)
class Step:
    case_type: CaseType
    leader_after_hours: int
    changed_at: datetime | None  # None: the default
    changed_by_name: str


async def ladder() -> dict[CaseType, Step]:
    """Every type of case's ladder: the admins' change where made, else the default."""
    changed = {row["case_type"]: row for row in await EscalationStep.select() if row["case_type"] in CaseType.__members__}
    steps = {}
    for case_type in CASE_TYPE_LABELS:
        row = changed.get(case_type.value)
        hours = row["leader_after_hours"] if row else DEFAULT_LEADER_AFTER_HOURS[case_type]
        steps[case_type] = Step(case_type, hours, row["changed_at"] if row else None, row["changed_by_name"] if row else "")
    return steps


class LadderError(FieldErrors):
    pass


HOURS_WANTED = N_("Give a whole number of working hours from 1 to 2000.")
_WHOLE = re.compile(r"[0-9]{1,5}")


async def set_step(case_type_text: str, hours_text: str, *, actor: Who) -> CaseType:
    """Set a type of case's working hours past the overdue answer before the leaders hear of it."""
    errors = {}
    case_type = CaseType(case_type_text) if case_type_text in CaseType.__members__ else None
    if case_type is None:
        errors["case_type"] = N_("Choose a type of case from the list.")
    hours = hours_text.strip()
    if not _WHOLE.fullmatch(hours) or not 1 <= int(hours) <= MOST_HOURS:
        errors["leader_after_hours"] = HOURS_WANTED
    if errors:
        raise LadderError(errors)
    row = EscalationStep(case_type=case_type.value, leader_after_hours=int(hours), changed_at=clock.now(), changed_by_name=actor.name[:100])
    await EscalationStep.insert(row).on_conflict(
        target=EscalationStep.case_type,
        action="DO UPDATE",
        values=[EscalationStep.leader_after_hours, EscalationStep.changed_at, EscalationStep.changed_by_name],
    )
    await record(AuditAction.escalation_ladder_changed, actor=actor, detail=f"{case_type.value}: leaders after {int(hours)} working hours overdue")
    return case_type
