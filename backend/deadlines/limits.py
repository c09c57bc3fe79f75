"""The admins' deadline limits: the time allowed for each clock of each type of case, over the
defaults of ``deadlines.clocks``, and the share of the answer's time after which to warn. Knows
nothing of HTTP.

``clock_policy()`` reads them fresh (a dozen rows) whenever clocks start or an extension moves
one, which is rare next to reading a case, so every worker uses a change at once and there is no
cache to go stale. A change applies to clocks started afterwards: deadlines already set on cases
stay as they were promised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from backend import clock
from backend.accounts.audit import AuditAction, Who, record
from backend.deadlines.clocks import CLOCK_LABELS, DEFAULT_LIMITS, WARNING_SHARE, Clock, Limit, Policy, Unit
from backend.vocabulary import CASE_TYPE_LABELS, CaseType
from backend.deadlines.tables import DeadlineLimit, DeadlineWarning
from backend.errors import FieldErrors
from backend.i18n_markers import N_

UNIT_LABELS = {
    Unit.working_minutes: N_("working minutes"),
    Unit.working_days: N_("working days"),
    Unit.hours: N_("hours, around the clock"),
    Unit.months: N_("calendar months"),
}
# The most each unit allows: a quarter of a year, about (representatives' suggestions).
MAX_AMOUNT = {Unit.working_minutes: 6000, Unit.working_days: 66, Unit.hours: 2200, Unit.months: 12}
WARNING_DAYS_MAX = 60
WARNING_PERCENT_MIN, WARNING_PERCENT_MAX = 10, 95
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits, as a number field sends


class LimitError(FieldErrors):
    """A limit or warning share that can't be set."""


@dataclass
class LimitForm:
    """What an admin typed for one clock of one type of case; text until valid."""

    case_type: str = ""
    clock: str = ""
    amount: str = ""
    unit: str = ""
    rest_day_amount: str = ""  # both empty: the same allowance on rest days
    rest_day_unit: str = ""
    warning_days: str = ""  # the answer clock only: warn this many days before (empty: the share)


@dataclass(frozen=True)
class LimitSetting:
    """One clock of one type of case as the admin page shows it."""

    case_type: CaseType
    clock: Clock
    limit: Limit
    changed_at: datetime | None  # None: the default applies
    changed_by_name: str

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.clock]

    @property
    def is_default(self) -> bool:
        return self.limit == DEFAULT_LIMITS[self.case_type][self.clock]

    def form(self) -> LimitForm:
        rest = self.limit.on_rest_days
        return LimitForm(
            self.case_type.value,
            self.clock.value,
            str(self.limit.amount),
            self.limit.unit.value,
            str(rest.amount) if rest else "",
            rest.unit.value if rest else "",
            "" if self.limit.warning_days is None else str(self.limit.warning_days),
        )


@dataclass(frozen=True)
class WarningSetting:
    percent: int
    changed_at: datetime | None
    changed_by_name: str


def _limit_of(row: dict) -> Limit:
    rest = Limit(row["rest_day_amount"], Unit(row["rest_day_unit"])) if row["rest_day_unit"] else None
    return Limit(row["amount"], Unit(row["unit"]), rest, row["warning_days"])


async def _changed_limits() -> dict[tuple[CaseType, Clock], dict]:
    rows = await DeadlineLimit.select()
    # A row of a type or clock this version no longer knows is left alone, not used.
    return {
        (CaseType(row["case_type"]), Clock(row["clock"])): row
        for row in rows
        if row["case_type"] in CaseType.__members__ and row["clock"] in Clock.__members__
    }


async def warning_setting() -> WarningSetting:
    row = await DeadlineWarning.select().first()
    if row is None:
        return WarningSetting(round(WARNING_SHARE * 100), None, "")
    return WarningSetting(row["percent"], row["changed_at"], row["changed_by_name"])


async def clock_policy() -> Policy:
    """The limits and warning share in force: the admins' where set, else the defaults."""
    limits = {case_type: dict(by_clock) for case_type, by_clock in DEFAULT_LIMITS.items()}
    for (case_type, which), row in (await _changed_limits()).items():
        limits[case_type][which] = _limit_of(row)
    return Policy(limits, (await warning_setting()).percent / 100)


async def limit_settings() -> list[LimitSetting]:
    """Every clock of every type of case, by type and then in the order the clocks run."""
    changed = await _changed_limits()
    settings = []
    for case_type in CASE_TYPE_LABELS:
        for which in Clock:
            row = changed.get((case_type, which))
            limit = _limit_of(row) if row else DEFAULT_LIMITS[case_type][which]
            settings.append(LimitSetting(case_type, which, limit, row and row["changed_at"], row["changed_by_name"] if row else ""))
    return settings


def _amount(text: str, unit: Unit | None) -> int | None:
    text = text.strip()
    if not _WHOLE_NUMBER.fullmatch(text) or int(text) < 1:
        return None
    amount = int(text)
    return amount if unit is None or amount <= MAX_AMOUNT[unit] else None


TOO_MUCH = N_("Give a whole number from 1 up to 6000 working minutes, 66 working days, 2200 hours or 12 months.")


def validate_limit(form: LimitForm) -> tuple[CaseType, Clock, Limit]:
    """Raises LimitError with every problem of the form."""
    errors: dict[str, str] = {}
    case_type = CaseType(form.case_type) if form.case_type in CaseType.__members__ else None
    which = Clock(form.clock) if form.clock in Clock.__members__ else None
    if case_type is None or which is None:
        errors[""] = N_("Choose a type of case and a deadline from the list.")
    unit = Unit(form.unit) if form.unit in Unit.__members__ else None
    if unit is None:
        errors["unit"] = N_("Choose a unit from the list.")
    amount = _amount(form.amount, unit)
    if amount is None:
        errors["amount"] = TOO_MUCH
    rest = None
    if form.rest_day_amount.strip() or form.rest_day_unit:
        rest_unit = Unit(form.rest_day_unit) if form.rest_day_unit in Unit.__members__ else None
        if rest_unit is None:
            errors["rest_day_unit"] = N_("Choose a unit for rest days, or leave both rest-day fields empty.")
        rest_amount = _amount(form.rest_day_amount, rest_unit)
        if rest_amount is None:
            errors["rest_day_amount"] = TOO_MUCH
        elif rest_unit is not None:
            rest = Limit(rest_amount, rest_unit)
    warning_days = None
    if form.warning_days.strip():
        warning_days = _amount(form.warning_days, None)
        if which != Clock.answer or warning_days is None or warning_days > WARNING_DAYS_MAX:
            errors["warning_days"] = N_("Give a whole number of days from 1 to 60 for the answer, or leave it empty.")
    if errors:
        raise LimitError(errors)
    return case_type, which, Limit(amount, unit, rest, warning_days)


async def set_limit(form: LimitForm, *, actor: Who) -> tuple[CaseType, Clock]:
    """Set the time allowed for one clock of one type of case. Raises LimitError."""
    case_type, which, limit = validate_limit(form)
    rest = limit.on_rest_days
    row = DeadlineLimit(
        case_type=case_type.value,
        clock=which.value,
        amount=limit.amount,
        unit=limit.unit.value,
        rest_day_amount=rest.amount if rest else None,
        rest_day_unit=rest.unit.value if rest else None,
        warning_days=limit.warning_days,
        changed_at=clock.now(),
        changed_by=actor.id,
        changed_by_name=actor.name[:100],
    )
    # One statement, so two admins saving the same clock at once can't collide on the unique pair.
    await DeadlineLimit.insert(row).on_conflict(
        target=(DeadlineLimit.case_type, DeadlineLimit.clock),
        action="DO UPDATE",
        values=[
            DeadlineLimit.amount,
            DeadlineLimit.unit,
            DeadlineLimit.rest_day_amount,
            DeadlineLimit.rest_day_unit,
            DeadlineLimit.warning_days,
            DeadlineLimit.changed_at,
            DeadlineLimit.changed_by,
            DeadlineLimit.changed_by_name,
        ],
    )
    rest_text = f", rest days {rest.amount} {rest.unit.value}" if rest else ""
    rest_text += f", warn {limit.warning_days} days before" if limit.warning_days is not None else ""
    await record(
        AuditAction.deadline_limit_changed,
        actor=actor,
        detail=f"{case_type.value} / {which.value}: {limit.amount} {limit.unit.value}{rest_text}",
    )
    return case_type, which


async def set_warning(percent_text: str, *, actor: Who) -> int:
    """Set the share of the answer's time after which to warn, in per cent. Raises LimitError."""
    text = percent_text.strip()
    if not _WHOLE_NUMBER.fullmatch(text) or not WARNING_PERCENT_MIN <= int(text) <= WARNING_PERCENT_MAX:
        raise LimitError({"percent": N_("Give a whole number of per cent from 10 to 95.")})
    percent = int(text)
    await DeadlineWarning.insert(
        DeadlineWarning(id=1, percent=percent, changed_at=clock.now(), changed_by=actor.id, changed_by_name=actor.name[:100])
    ).on_conflict(
        target=DeadlineWarning.id,
        action="DO UPDATE",
        values=[DeadlineWarning.percent, DeadlineWarning.changed_at, DeadlineWarning.changed_by, DeadlineWarning.changed_by_name],
    )
    await record(AuditAction.deadline_warning_changed, actor=actor, detail=f"{percent} %")
    return percent
