"""Personal data kept no longer than it must be (PIPL art. 19): clock jobs (``backend.jobs``).

``MINSHENG_PERSONAL_DATA_DAYS`` after a case finished (``vocabulary.FINISHED``; its last change),
``anonymise_finished`` erases the filer's name and phone, the text staff marked as personal
(``personal_text``) and where their photos were taken, deletes the photos hidden from the
public, and makes the public copy of each blacked-out photo the only one (the original's file
goes). What the public and the figures read
is not touched: status, dates, public text and ratings stay, so the record and the department
figures are the same before and after (``minsheng figures rebuild`` reproduces them).

It works in batches of ``BATCH`` cases, each its own short transaction, so a run over a large
backlog never holds a long lock; an erased case leaves the partial index the job reads
(``cases_not_anonymised``), so the next batch starts where the last ended and a run with nothing
due is one short index range. It is idempotent and safe in several workers at once: a case is
erased only while ``anonymised_at`` is empty. (The audit log keeps its own period:
``accounts.audit.forget_old``.)

A filer need not wait: once their case finished, ``erase_on_request`` does the same at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from backend import events
from backend.cases import personal_text, services
from backend.cases.lifecycle import ERASURE_ACTION
from backend.cases.services import Actor
from backend.cases.tables import Case
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound, WrongState
from backend.events import PersonalDataErased
from backend.i18n_markers import N_
from backend.photos import services as photos
from backend.settings import get_settings
from backend.text import clean_text
from backend.vocabulary import FINISHED, Role, Status, Visibility

BATCH = 500
log = logging.getLogger(__name__)


async def anonymise_finished(now: datetime, batch: int = BATCH) -> int:
    """Erase the personal data of the cases finished more than the retention period before
    ``now``; returns how many cases were erased."""
    cutoff = now - timedelta(days=get_settings().personal_data_days)
    finished = [status.value for status in FINISHED]
    erased = 0
    while True:
        due = Case.select(Case.id).where(Case.anonymised_at.is_null(), Case.status.is_in(finished), Case.updated_at < cutoff).limit(batch)
        async with write_transaction():
            done, originals = await _erase(Case.id.is_in(due), now)
            if not done:
                break
        await photos.delete_files(originals, now)  # after commit: a rolled-back batch keeps its files
        erased += len(done)
        await asyncio.sleep(0)  # let requests in between batches
    if erased:
        log.info("retention: erased the personal data of %d cases finished before %s", erased, cutoff.isoformat())
    return erased


async def _erase(which, now: datetime) -> tuple[list[int], list[str]]:
    """Erase the cases' personal data (in the caller's transaction): the ids erased, and the
    photo files no longer needed, to delete after commit."""
    done = await Case.update({Case.filer_name: "", Case.filer_phone: "", Case.anonymised_at: now}).where(
        which, Case.anonymised_at.is_null()  # checked again on the row: not erased by another worker meanwhile
    ).returning(Case.id)
    ids = [row["id"] for row in done]
    await personal_text.erase(ids)
    await events.emit(*(PersonalDataErased(case_id) for case_id in ids))
    return ids, await photos.erase_personal_data(ids)


REASON_MAX = 500


async def erase_on_request(token: str, reason: str, now: datetime) -> None:
    """The filer's right to erasure, through the follow link: once the case finished, their
    contact details go at once (as the retention job would), and an entry for them and staff
    records when and why. Raises NotFound (no such link), WrongState (not finished yet, or
    erased already) or InvalidInput (no reason, or too long)."""
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise InvalidInput(N_("Say briefly why you want your contact details erased."))
    if len(reason) > REASON_MAX:
        raise InvalidInput(N_("Keep the reason short (at most 500 characters)."))
    case = await services.case_of_follow_token(token)
    if case is None:
        raise NotFound(N_("There is no such case."))
    if Status(case["status"]) not in FINISHED:
        raise WrongState(N_("You can ask for this once your case is finished."))
    async with write_transaction():
        done, originals = await _erase(Case.id == case["id"], now)
        if not done:
            raise WrongState(N_("Your contact details were erased already."))
        await services.append_entry(case["id"], ERASURE_ACTION, None, Actor(Role.citizen), Visibility.filer, reason, now)
    await photos.delete_files(originals, now)


async def erased_at(case_id: int) -> datetime | None:
    row = await Case.select(Case.anonymised_at).where(Case.id == case_id).first()
    return row["anonymised_at"] if row else None
