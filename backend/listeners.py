"""The one place where the side effects of the domain's events are wired (``backend.events``).

Every entry point that changes cases calls ``wire`` at start-up: the app factory, ``minsheng
seed-demo`` and the tests. A new side effect (notifications, say) is one more line here and a listener in its
own module; the services that emit the events do not change.
"""

from __future__ import annotations

from backend import metrics
from backend.cases import calendar_change, figures, public_record, search
from backend.events import (
    CaseMerged,
    CaseSupported,
    CoSignInvited,
    EntryAppended,
    KnowledgeChanged,
    MergeUndone,
    NotificationDelivered,
    OrganisationChanged,
    PersonalDataErased,
    Phase,
    PhotoProcessed,
    PublicTextChanged,
    RecordRebuilt,
    WorkingCalendarChanged,
    listen,
)
from backend.knowledge import services as knowledge
from backend.live import bus
from backend.notifications import outbox, subscriptions
from backend.routing import automatic
from backend.routing import services as routing


def wire() -> None:
    # A new case an automatic routing rule fits is accepted and assigned in the transaction that
    # filed it, first, so that the listeners below count it as it ends up.
    listen(EntryAppended, automatic.on_entries_appended, Phase.before_commit)
    # A department returned a case a rule sent it: the rule's return rate counts it.
    listen(EntryAppended, routing.on_entries_appended, Phase.before_commit)
    # In the transaction, before commit: they commit or roll back with the change.
    listen(PublicTextChanged, search.on_public_text_changed, Phase.before_commit)
    listen(EntryAppended, figures.on_entries_appended, Phase.before_commit)
    listen(KnowledgeChanged, knowledge.on_knowledge_changed, Phase.before_commit)
    # What the public reads changed: public pages are fresh in every worker the moment the
    # change commits. (A PublicTextChanged comes with its entry; after the figures, so that
    # writers on PostgreSQL lock their rows and then the version's row, in that order.)
    for changed in (EntryAppended, CaseSupported, OrganisationChanged, RecordRebuilt, KnowledgeChanged):
        listen(changed, public_record.on_public_record_changed, Phase.before_commit)
    # The notifications it sends are outbox rows of the same transaction, sent after commit.
    listen(EntryAppended, outbox.on_entries_appended, Phase.before_commit)
    listen(CoSignInvited, outbox.on_co_sign_invited, Phase.before_commit)
    # An erasure of a filer's details ends the case's notifications, in the same transaction.
    listen(PersonalDataErased, subscriptions.on_personal_data_erased, Phase.before_commit)
    # A merge moves the duplicate's followers to the original; its undo moves them back.
    listen(CaseMerged, subscriptions.on_case_merged, Phase.before_commit)
    listen(MergeUndone, subscriptions.on_merge_undone, Phase.before_commit)
    # A year's official holidays arrived: deadlines computed into it move, in the same transaction.
    listen(WorkingCalendarChanged, calendar_change.on_working_calendar_changed, Phase.before_commit)
    # After commit: live pages hear only of what is there to read.
    listen(EntryAppended, bus.announce_entry, Phase.after_commit)
    # The operators' metrics count what happened (in the processes that count: the app's workers).
    listen(EntryAppended, metrics.on_entry_appended, Phase.after_commit)
    listen(PhotoProcessed, metrics.on_photo_processed, Phase.after_commit)
    listen(NotificationDelivered, metrics.on_notification_delivered, Phase.after_commit)
