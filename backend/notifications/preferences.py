"""What each staff member chose to hear of: each notice of their role on or off, and quiet hours.

During quiet hours (in the platform's time zone; "22:00" to "07:00" spans the night) a notice
waits until they end, unless the case has a deadline within the hour: a case to sign for in 15
minutes still wakes the handler on duty. ``outbox`` asks ``due_at`` when it writes a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.db import write_transaction
from backend.errors import FieldErrors
from backend.i18n_markers import N_
from backend.notifications.notices import Notice, staff_notices_of
from backend.notifications.tables import StaffNoticeChoice
from backend.vocabulary import StaffRole

URGENT_WITHIN = timedelta(hours=1)
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class Choices:
    muted: frozenset[Notice] = frozenset()
    quiet_from: time | None = None
    quiet_until: time | None = None

    def quiet_until_after(self, local: datetime) -> datetime | None:
        """When the quiet hours holding at ``local`` (a time-zone-aware local time) end; None if
        it is not quiet then."""
        if self.quiet_from is None or self.quiet_until is None:
            return None
        now = local.time()
        if self.quiet_from < self.quiet_until:  # within one day: 12:00–14:00
            quiet = self.quiet_from <= now < self.quiet_until
        else:  # over midnight: 22:00–07:00
            quiet = now >= self.quiet_from or now < self.quiet_until
        if not quiet:
            return None
        end = local.replace(hour=self.quiet_until.hour, minute=self.quiet_until.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


def due_at(choices: Choices, now: datetime, time_zone: ZoneInfo, deadlines: list[datetime | None]) -> datetime:
    """When a notice written at ``now`` goes out: at once, or when the quiet hours end if no
    deadline of its case (``deadlines``: those still running) falls within the hour."""
    if any(deadline is not None and now <= deadline <= now + URGENT_WITHIN for deadline in deadlines):
        return now
    end = choices.quiet_until_after(now.astimezone(time_zone))
    return end.astimezone(now.tzinfo) if end else now


class ChoiceError(FieldErrors):
    """What a staff member chose cannot be kept: field → message id."""


def _clock(text: str) -> time | None:
    return time.fromisoformat(text) if text else None


def choices_of(row: dict | None) -> Choices:
    if row is None:
        return Choices()
    muted = frozenset(Notice(value) for value in row["muted"].split() if value in Notice._value2member_map_)
    return Choices(muted, _clock(row["quiet_from"]), _clock(row["quiet_until"]))


async def choices_of_accounts(account_ids: list[int]) -> dict[int, Choices]:
    if not account_ids:
        return {}
    rows = await StaffNoticeChoice.select().where(StaffNoticeChoice.account.is_in(account_ids))
    return {row["account"]: choices_of(row) for row in rows}


async def choices_of_account(account_id: int) -> Choices:
    return choices_of(await StaffNoticeChoice.select().where(StaffNoticeChoice.account == account_id).first())


async def save(account_id: int, role: StaffRole, heard: list[str], quiet_from: str, quiet_until: str) -> Choices:
    """Keep what the staff member chose: ``heard``, the notices of their role they want (the
    others are muted), and quiet hours (both times, or neither). Raises FieldErrors."""
    offered = staff_notices_of(role)
    errors = {}
    if any(value not in {notice.value for notice in offered} for value in heard):
        errors["heard"] = N_("Choose only among the notices listed.")
    quiet_from, quiet_until = quiet_from.strip(), quiet_until.strip()
    for field, value in (("quiet_from", quiet_from), ("quiet_until", quiet_until)):
        if value and not _CLOCK.match(value):
            errors[field] = N_("Give a time of day, such as 22:00.")
    if not errors and bool(quiet_from) != bool(quiet_until):
        errors["quiet_until"] = N_("Give both the start and the end of your quiet hours, or neither.")
    elif not errors and quiet_from and quiet_from == quiet_until:
        errors["quiet_until"] = N_("The quiet hours must end at another time than they start.")
    if errors:
        raise ChoiceError(errors)
    muted = " ".join(notice.value for notice in offered if notice.value not in heard)
    values = {StaffNoticeChoice.muted: muted, StaffNoticeChoice.quiet_from: quiet_from, StaffNoticeChoice.quiet_until: quiet_until}
    async with write_transaction():
        if await StaffNoticeChoice.exists().where(StaffNoticeChoice.account == account_id):
            await StaffNoticeChoice.update(values).where(StaffNoticeChoice.account == account_id)
        else:
            await StaffNoticeChoice.insert(StaffNoticeChoice(account=account_id, **{column._meta.name: value for column, value in values.items()}))
    return await choices_of_account(account_id)
