"""Merging a duplicate into the case it repeats, after acceptance, and undoing it.

The ``merge`` and ``unmerge`` rows of the lifecycle table call these from their inputs'
``apply`` (``actions.Merge``, ``actions.Unmerge``), under the duplicate's row lock in the
action's transaction. A merge keeps what the duplicate was (``CaseMerge``) and what moved: the
"me too"s of people who had not supported the original already (``MovedSupport``; nobody counts
twice), and, by the listener of ``CaseMerged`` in ``notifications.subscriptions``, its
followers' subscriptions. Undoing it puts each of them back where it was.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from backend import events
from backend.cases.services import STAFF_SEES, with_number
from backend.cases.tables import Case, CaseMerge, MovedSupport, Support
from backend.db import lock_row
from backend.errors import InvalidInput, WrongState
from backend.events import CaseMerged, CaseSupported, MergeUndone, PublicTextChanged
from backend.i18n_markers import N_
from backend.vocabulary import STATUS_GROUPS, Status, StatusGroup

# What a duplicate can be merged into: a case still handled or answered, as people can support.
MERGE_TARGETS = frozenset(STATUS_GROUPS[StatusGroup.open] | STATUS_GROUPS[StatusGroup.answered])
GIVE_THE_ORIGINAL = N_("Give the number of the case this one repeats.")


def merge_target_refusal(duplicate_id: int, original: dict | None) -> str | None:
    """Why ``original`` (a row with its id and status, or None: no such case) cannot take the
    duplicate in, or None if it can."""
    if original is None or original["id"] == duplicate_id:
        return GIVE_THE_ORIGINAL
    if Status(original["status"]) not in MERGE_TARGETS:
        return N_("A case can be merged only into one that is still being handled or answered.")
    return None


def supports_to_move(duplicate: list[dict], original_supporters: set[str]) -> list[int]:
    """The duplicate's supports (rows with id and supporter) whose supporter has not supported
    the original: only these move, so that nobody counts twice."""
    return [row["id"] for row in duplicate if row["supporter"] not in original_supporters]


async def merge(duplicate: Case, typed_number: str, now: datetime) -> dict:
    """Merge ``duplicate`` (locked) into the case numbered ``typed_number``: its supports move,
    and ``CaseMerged`` moves its followers. Returns the duplicate's columns to set."""
    original = await Case.select(Case.id, Case.status).where(with_number(typed_number.strip()), STAFF_SEES).first()
    if refused := merge_target_refusal(duplicate.id, original):
        raise InvalidInput(refused)
    await lock_row(Case, original["id"])
    merge_id = (
        await CaseMerge.insert(
            CaseMerge(
                duplicate=duplicate.id, original=original["id"], status_before=duplicate.status,
                published_at_before=duplicate.published_at, merged_at=now,
            )
        ).returning(CaseMerge.id)
    )[0]["id"]
    theirs = {row["supporter"] for row in await Support.select(Support.supporter).where(Support.case == original["id"])}
    moving = supports_to_move(await Support.select(Support.id, Support.supporter).where(Support.case == duplicate.id), theirs)
    if moving:
        await Support.update({Support.case: original["id"]}).where(Support.id.is_in(moving))
        await MovedSupport.insert(*[MovedSupport(merge=merge_id, support=support) for support in moving])
        await Case.update({Case.support_count: Case.support_count + len(moving)}).where(Case.id == original["id"])
        await events.emit(CaseSupported(original["id"]))
    values = {Case.duplicate_of: original["id"], Case.support_count: duplicate.support_count - len(moving)}
    if duplicate.published_at is not None:  # off the public list, its search words and its topic counts
        values[Case.published_at] = None
        await events.emit(PublicTextChanged(duplicate.id))
    await events.emit(CaseMerged(merge_id, duplicate.id, original["id"]))
    return values


async def undo(duplicate: Case, now: datetime) -> dict:
    """Undo the latest merge of ``duplicate`` (locked): each support and subscription that moved
    goes back, and the duplicate is as it was. Returns its columns to set."""
    found = (
        await CaseMerge.objects()
        .where(CaseMerge.duplicate == duplicate.id, CaseMerge.undone_at.is_null())
        .order_by(CaseMerge.id, ascending=False)
        .first()
    )
    if found is None:
        raise WrongState(N_("This case was not merged."))
    moved = await MovedSupport.select(MovedSupport.support, MovedSupport.support.case.as_alias("now_on")).where(
        MovedSupport.merge == found.id
    )
    for case_id, count in Counter(row["now_on"] for row in moved).items():  # the original, unless merged on since
        await lock_row(Case, case_id)
        await Case.update({Case.support_count: Case.support_count - count}).where(Case.id == case_id)
        await events.emit(CaseSupported(case_id))
    if moved:
        await Support.update({Support.case: duplicate.id}).where(Support.id.is_in([row["support"] for row in moved]))
        await MovedSupport.delete().where(MovedSupport.merge == found.id)
    await CaseMerge.update({CaseMerge.undone_at: now}).where(CaseMerge.id == found.id)
    await events.emit(MergeUndone(found.id, duplicate.id))
    duplicate.published_at = found.published_at_before  # as it was: the status it gets back publishes nothing anew
    values = {
        Case.status: found.status_before,
        Case.duplicate_of: None,
        Case.published_at: found.published_at_before,
        Case.support_count: duplicate.support_count + len(moved),
    }
    if found.published_at_before is not None:  # back on the public list, with its words and counts
        await events.emit(PublicTextChanged(duplicate.id))
    return values


async def merged_into(case_id: int) -> list[str]:
    """The numbers of the duplicates merged into this case, for its staff page (to undo one)."""
    rows = await Case.select(Case.number).where(Case.duplicate_of == case_id, Case.status == Status.merged.value).order_by(Case.id)
    return [row["number"] for row in rows]


async def public_original(number: str) -> str | None:
    """Where the public address of a merged case now leads: the public case it was merged into
    (None while that one is not public: its number would lead nowhere either)."""
    row = await Case.select(Case.duplicate_of.number.as_alias("original")).where(
        with_number(number), Case.status == Status.merged.value, Case.duplicate_of.published_at.is_not_null()
    ).first()
    return row["original"] if row else None
