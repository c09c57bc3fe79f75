"""The jobs the in-app scheduler (``backend.scheduler``) runs on every tick, in this order.

Each is ``async def job(now: datetime) -> int`` (how much it did): idempotent, driven by the
given ``now`` only, and safe in several worker processes at once. Add further jobs here.
"""

from __future__ import annotations

from backend.accounts import audit
from backend.cases import callbacks, ratings, retention, supervision
from backend.notifications import alerts, delivery, log as delivery_log
from backend.photos import services as photos
from backend.scheduler import Job

JOBS: list[Job] = [
    supervision.flag_sign_reminders,
    supervision.flag_warnings,
    supervision.flag_overdue,  # before supervision, which follows the answer's overdue flag
    supervision.supervise_overdue,
    supervision.alert_leaders,  # the escalation ladder's last step, after the red card
    callbacks.queue_callbacks,  # before closing: an answer closed unrated is still called back
    ratings.close_unrated,  # answers nobody rated within the days allowed
    photos.delete_unclaimed,  # uploads no filing claimed within a day
    retention.anonymise_finished,  # personal data of cases finished long enough ago
    audit.forget_old,  # the audit log's own period
    delivery_log.forget_old_deliveries,  # and the delivery log's
    delivery.deliver_due,  # notifications due again, and any a stopped worker left
    alerts.forget_old,  # alerts' addresses nobody confirmed, and their log's period
    alerts.assemble_digests,  # yesterday's digest of each area/category alert, once
    alerts.deliver_alerts,  # and the alerts' own outbox
]
