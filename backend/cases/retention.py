"""Personal data kept no longer than it must be (PIPL art. 19): clock jobs (``backend.jobs``).

``MINSHENG_PERSONAL_DATA_DAYS`` after a case finished (``vocabulary.FINISHED``; its last change),
``anonymise_finished`` erases the filer's name and phone and makes the public copy of each
blacked-out photo the only one (the original's file goes). What the public and the figures read
is not touched: status, dates, public text and ratings stay, so the record and the department
figures are the same before and after (``minsheng figures rebuild`` reproduces them).

It works in batches of ``BATCH`` cases, each its own short transaction, so a run over a large
backlog never holds a long lock; an erased case leaves the partial index the job reads
(``cases_not_anonymised``), so the next batch starts where the last ended and a run with nothing
due is one short index range. It is idempotent and safe in several workers at once: a case is
erased only while ``anonymised_at`` is empty.

``AUDIT_DAYS`` later, an audit-log entry goes (``forget_old_audit``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from backend.cases.tables import Case
from backend.db import write_transaction
from backend.photos import services as photos
from backend.settings import get_settings
from backend.vocabulary import FINISHED

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
            done = await Case.update({Case.filer_name: "", Case.filer_phone: "", Case.anonymised_at: now}).where(
                Case.id.is_in(due), Case.anonymised_at.is_null()  # checked again on the row: not erased by another worker meanwhile
            ).returning(Case.id)
            if not done:
                break
            originals = await photos.keep_only_public_copies([row["id"] for row in done])
        await photos.delete_files(originals, now)  # after commit: a rolled-back batch keeps its files
        erased += len(done)
        await asyncio.sleep(0)  # let requests in between batches
    if erased:
        log.info("retention: erased the personal data of %d cases finished before %s", erased, cutoff.isoformat())
    return erased
