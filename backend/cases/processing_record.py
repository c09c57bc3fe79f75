"""The record of processing (PIPL art. 54 and 55): what personal data Minsheng keeps, where,
why, for how long, and who may see it, for admins (``/admin/personal-data``).

It is built from the code itself, not written by hand: where is the tables' own columns, how
long is read from the settings in force, who may see is asked of the same permission rules the
pages and the API use (``permissions``), over every role. ``tests/cases/test_processing_record.py``
fails when a table gains a column that looks personal and the record does not name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from piccolo.columns import Column

from backend.accounts.tables import Account, ApiKey, AuditEvent, Passkey
from backend.accounts import audit
from backend.cases.permissions import may_see_case, sees_filer_contact
from backend.cases.tables import Case, EscalationStep, TimelineEntry
from backend.deadlines.tables import CalendarDay, DeadlineLimit, DeadlineWarning, ScheduleYear
from backend.i18n_markers import N_
from backend.notifications.alerts import UNCONFIRMED_DAYS
from backend.notifications.tables import AlertSubscription, Message, NoticeWording, StaffSubscription, Subscription
from backend.photos.tables import Photo
from backend.settings import Settings
from backend.vocabulary import Scope, StaffRole

THE_FILER = N_("the filer, through their follow link")


@dataclass(frozen=True)
class Kept:
    """One kind of personal data, as the record lists it."""

    what: str  # a message id
    why: str  # a message id
    where: tuple[Column, ...]
    for_how_long: Callable[[Settings], tuple[str, int | None]]  # (message id with %(days)s, days)
    seen_by_roles: Callable[[], frozenset[StaffRole]]
    seen_by_others: tuple[str, ...] = ()  # message ids: who else, outside the roles


def _contact_readers() -> frozenset[StaffRole]:
    scopes = (*Scope, None)
    return frozenset(role for role in StaffRole if any(sees_filer_contact(role.value, scope) for scope in scopes))


def _case_readers() -> frozenset[StaffRole]:
    return frozenset(role for role in StaffRole if may_see_case(role.value, Scope.lead))


def _after_finished(settings: Settings) -> tuple[str, int | None]:
    return N_("%(days)s days after the case finished, then erased (or at once, at the filer's request)"), settings.personal_data_days


def _as_long_as_the_case(settings: Settings) -> tuple[str, int | None]:
    return N_("as long as the case"), None


RECORD: tuple[Kept, ...] = (
    Kept(
        N_("The filer's name and phone"),
        N_("To contact the filer about their case and to call them back about the answer"),
        (Case.filer_name, Case.filer_phone),
        _after_finished,
        _contact_readers,
        (THE_FILER,),
    ),
    Kept(
        N_("The place of the problem, often near the filer's home"),
        N_("To handle the case, and to publish it if the filer agreed (moderators can redact it)"),
        (Case.address, Case.latitude, Case.longitude),
        _as_long_as_the_case,
        _case_readers,
        (THE_FILER, N_("the public, once the case is published, if the filer agreed")),
    ),
    Kept(
        N_("Where the filer asked to hear about their case, or someone about a public case they follow: an email address, a mobile number (the filer's only), or a browser's push address"),
        N_("To send the news they asked for"),
        (Subscription.address, Subscription.push_keys, Subscription.follow_link),
        lambda settings: (N_("until they stop it, or until their details are erased (%(days)s days after the case finished)"), settings.personal_data_days),
        _contact_readers,
        (THE_FILER,),
    ),
    Kept(
        N_("Where staff members hear of their work: a browser's push address, an email address or a mobile number"),
        N_("To tell staff members of their work"),
        (StaffSubscription.address, StaffSubscription.push_keys),
        lambda settings: (N_("until the staff member removes it, or its push service ends it"), None),
        lambda: frozenset(),
        (N_("the staff member alone, on their notifications page"),),
    ),
    Kept(
        N_("Where someone asked for the daily list of new cases in an area or a category: an email address or a browser's push address"),
        N_("To send the list they asked for"),
        (AlertSubscription.address, AlertSubscription.push_keys),
        lambda settings: (N_("until they stop it (the link in every message), or its push service ends it; an email address nobody confirmed, %(days)s days"), UNCONFIRMED_DAYS),
        lambda: frozenset(),
        (N_("the subscriber, masked, on the page behind the link that stops it"),),
    ),
    Kept(
        N_("Photos as the filer and staff uploaded them, before anything was blacked out, and photos hidden from the public"),
        N_("To show what the case is about; the public sees only the blacked-out copy"),
        (Photo.display_sha256, Photo.thumb_sha256),
        _after_finished,
        _case_readers,
        (THE_FILER,),
    ),
    Kept(
        N_("Where a photo was taken (from the upload, before its metadata is stripped)"),
        N_("Offered to the filer as the case's place"),
        (Photo.gps_latitude, Photo.gps_longitude),
        _after_finished,
        _case_readers,
        (THE_FILER,),
    ),
    Kept(
        N_("Text on a case's timeline that staff marked as personal, and what a moderator redacted out of the case's public text"),
        N_("To handle the case; the public never sees it"),
        (TimelineEntry.body, TimelineEntry.personal),
        _after_finished,
        _case_readers,
        (N_("the filer, where the text was meant for them"),),
    ),
    Kept(
        N_("Each notification sent: which case, by which channel, when, and why a sending failed (the address is not kept with it)"),
        N_("So that staff can see whether the news of a case reached the filer"),
        (Message.channel, Message.sent_at, Message.error),
        lambda settings: (N_("%(days)s days, then deleted"), settings.delivery_log_days),
        _case_readers,
    ),
    Kept(
        N_("Each time staff were shown a filer's contact details: the department, when and why"),
        N_("So that the filer can check who saw their details"),
        (TimelineEntry.action, TimelineEntry.actor_name, TimelineEntry.created_at),
        _as_long_as_the_case,
        _case_readers,
        (THE_FILER,),
    ),
    Kept(
        N_("The audit log: staff names, the addresses they signed in from, what they did and whose details they saw"),
        N_("To answer for every staff action and every reveal of personal data"),
        (AuditEvent.actor_name, AuditEvent.subject_name, AuditEvent.client_address, AuditEvent.detail),
        lambda settings: (N_("%(days)s days, then deleted"), settings.audit_days),
        lambda: audit.READERS,
    ),
    Kept(
        N_("Staff names: their accounts and passkeys, and who made each API key and each change to the calendar, the deadlines and the notices' wording"),
        N_("To sign staff in, and to answer for the keys and settings they made"),
        (
            Account.name,
            Passkey.name,
            ApiKey.created_by_name,
            CalendarDay.changed_by_name,
            DeadlineLimit.changed_by_name,
            DeadlineWarning.changed_by_name,
            EscalationStep.changed_by_name,  # the escalation ladder: a deadline setting
            ScheduleYear.imported_by_name,
            NoticeWording.changed_by_name,
        ),
        lambda settings: (N_("as long as the account, and the record of the change, exist"), None),
        lambda: audit.READERS,
    ),
)


@dataclass(frozen=True)
class RecordLine:
    what: str
    why: str
    where: list[str]  # table.column
    for_how_long: str  # a message id, with ``days`` to put in
    days: int | None
    seen_by_roles: list[str]  # StaffRole values, in the vocabulary's order
    seen_by_others: list[str]


def processing_record(settings: Settings) -> list[RecordLine]:
    """The record as it stands with these settings."""
    lines = []
    for kept in RECORD:
        period, days = kept.for_how_long(settings)
        readers = kept.seen_by_roles()
        lines.append(
            RecordLine(
                what=kept.what,
                why=kept.why,
                where=[f"{column._meta.table._meta.tablename}.{column._meta.db_column_name}" for column in kept.where],
                for_how_long=period,
                days=days,
                seen_by_roles=[role.value for role in StaffRole if role in readers],
                seen_by_others=list(kept.seen_by_others),
            )
        )
    return lines
