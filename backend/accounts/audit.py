"""The audit log: append-only (nothing changes an entry); admins read and search it; an entry
goes only when it is older than ``MINSHENG_AUDIT_DAYS`` (``forget_old``, a clock job)."""

from __future__ import annotations

import enum
import logging
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from piccolo.engine.sqlite import SQLiteEngine

from backend import clock
from backend.accounts.tables import AuditEvent
from backend.db import engine
from backend.settings import get_settings
from backend.vocabulary import StaffRole
from backend.i18n_markers import N_

PAGE_SIZE = 50
READERS = frozenset({StaffRole.admin})  # who may read and search the log (its page admits them alone)
log = logging.getLogger(__name__)


class AuditAction(str, enum.Enum):
    invited = "invited"
    reinvited = "reinvited"
    enrolled = "enrolled"
    signed_in = "signed_in"
    sign_in_failed = "sign_in_failed"
    sign_in_throttled = "sign_in_throttled"
    signed_out = "signed_out"
    confirmed = "confirmed"
    passkey_added = "passkey_added"
    passkey_renamed = "passkey_renamed"
    passkey_removed = "passkey_removed"
    passkeys_revoked = "passkeys_revoked"
    disabled = "disabled"
    enabled = "enabled"
    department_created = "department_created"
    department_changed = "department_changed"
    category_created = "category_created"
    category_changed = "category_changed"
    area_created = "area_created"
    area_changed = "area_changed"
    deadline_limit_changed = "deadline_limit_changed"
    deadline_warning_changed = "deadline_warning_changed"
    escalation_ladder_changed = "escalation_ladder_changed"
    api_key_created = "api_key_created"
    api_key_revoked = "api_key_revoked"
    contact_revealed = "contact_revealed"
    schedule_imported = "schedule_imported"
    text_marked_personal = "text_marked_personal"
    text_unmarked_personal = "text_unmarked_personal"
    routing_rule_created = "routing_rule_created"
    routing_rule_changed = "routing_rule_changed"
    routing_rule_moved = "routing_rule_moved"
    routing_rule_deleted = "routing_rule_deleted"
    searched_by_phone = "searched_by_phone"


AUDIT_LABELS = {
    AuditAction.invited: N_("Invitation created"),
    AuditAction.reinvited: N_("Invited again"),
    AuditAction.enrolled: N_("Enrolled a passkey from an invitation"),
    AuditAction.signed_in: N_("Signed in"),
    AuditAction.sign_in_failed: N_("Sign-in refused"),
    AuditAction.sign_in_throttled: N_("Sign-in blocked after repeated failures"),
    AuditAction.signed_out: N_("Signed out"),
    AuditAction.confirmed: N_("Confirmed with a passkey"),
    AuditAction.passkey_added: N_("Passkey added"),
    AuditAction.passkey_renamed: N_("Passkey renamed"),
    AuditAction.passkey_removed: N_("Passkey removed"),
    AuditAction.passkeys_revoked: N_("All passkeys revoked"),
    AuditAction.disabled: N_("Account disabled"),
    AuditAction.enabled: N_("Account enabled again"),
    AuditAction.department_created: N_("Department created"),
    AuditAction.department_changed: N_("Department changed"),
    AuditAction.category_created: N_("Category created"),
    AuditAction.category_changed: N_("Category changed"),
    AuditAction.area_created: N_("Area created"),
    AuditAction.area_changed: N_("Area changed"),
    AuditAction.deadline_limit_changed: N_("Deadline limit changed"),
    AuditAction.deadline_warning_changed: N_("Deadline warning changed"),
    AuditAction.escalation_ladder_changed: N_("Escalation ladder changed"),
    AuditAction.api_key_created: N_("API key created"),
    AuditAction.api_key_revoked: N_("API key revoked"),
    AuditAction.contact_revealed: N_("A filer's contact details shown"),
    AuditAction.schedule_imported: N_("A year's official holidays brought in"),
    AuditAction.text_marked_personal: N_("A case's text marked as personal"),
    AuditAction.text_unmarked_personal: N_("A case's text no longer marked as personal"),
    AuditAction.routing_rule_created: N_("Routing rule created"),
    AuditAction.routing_rule_changed: N_("Routing rule changed"),
    AuditAction.routing_rule_moved: N_("Routing rule moved"),
    AuditAction.routing_rule_deleted: N_("Routing rule deleted"),
    AuditAction.searched_by_phone: N_("Cases searched by a filer's phone"),
}


@dataclass(frozen=True)
class Who:
    """Someone in an audit entry: an account (id and name at the time), or nobody known."""

    id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class AuditItem:
    id: int
    created_at: datetime
    actor_name: str
    action: str
    subject_name: str
    detail: str
    client_address: str


async def record(
    action: AuditAction,
    *,
    actor: Who = Who(),
    subject: Who = Who(),
    detail: str = "",
    client_address: str = "",
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            created_at=clock.now(),
            actor=actor.id,
            actor_name=actor.name,
            action=action.value,
            subject=subject.id,
            subject_name=subject.name,
            detail=detail[:2000],
            client_address=client_address[:64],
        )
    )


async def recent(
    before_id: int | None = None, page_size: int = PAGE_SIZE, *, action: AuditAction | None = None, text: str = ""
) -> list[AuditItem]:
    """Newest first, paged by id (keyset); only ``action``'s entries, and only those whose
    person, account or details contain ``text`` (a case number, a name), if given."""
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.created_at,
        AuditEvent.actor_name,
        AuditEvent.action,
        AuditEvent.subject_name,
        AuditEvent.detail,
        AuditEvent.client_address,
    )
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if action is not None:
        query = query.where(AuditEvent.action == action.value)
    # LIKE's wildcards are dropped rather than escaped: SQLite and PostgreSQL escape differently,
    # and no name or case number needs them.
    if text := text.replace("%", "").replace("_", "").strip():
        pattern = f"%{text}%"
        # SQLite's LIKE already ignores the case of ASCII letters (and Piccolo warns at its ILIKE).
        match = "like" if isinstance(engine(), SQLiteEngine) else "ilike"
        columns = (AuditEvent.detail, AuditEvent.actor_name, AuditEvent.subject_name)
        query = query.where(reduce(operator.or_, (getattr(column, match)(pattern) for column in columns)))
    rows = await query.order_by(AuditEvent.id, ascending=False).limit(page_size)
    return [AuditItem(**row) for row in rows]


async def forget_old(now: datetime) -> int:
    """A clock job: delete the entries older than ``MINSHENG_AUDIT_DAYS``; returns how many."""
    cutoff = now - timedelta(days=get_settings().audit_days)
    deleted = await AuditEvent.delete().where(AuditEvent.created_at < cutoff).returning(AuditEvent.id)
    if deleted:
        log.info("audit log: deleted %d entries from before %s", len(deleted), cutoff.isoformat())
    return len(deleted)
