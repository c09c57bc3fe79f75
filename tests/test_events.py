"""Domain events: listeners run at their moment of the emitting transaction, and the services
that emit them know nothing of the framework."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from backend import events
from backend.db import write_transaction
from backend.events import (
    CaseSupported,
    EntryAppended,
    NotificationDelivered,
    OrganisationChanged,
    PersonalDataErased,
    Phase,
    PhotoProcessed,
    PublicTextChanged,
    RecordRebuilt,
)


@dataclass(frozen=True)
class Happened:
    n: int


class _Recorder:
    def __init__(self):
        self.before: list[set] = []
        self.after: list[Happened] = []

    async def before_commit(self, happened: set) -> None:
        self.before.append(set(happened))

    def after_commit(self, happened: Happened) -> None:
        self.after.append(happened)


@pytest.fixture
def recorder():
    """Listeners of a new kind of event each test (a fresh class: no listener is shared)."""
    kind = type("Happened", (Happened,), {})
    found = _Recorder()
    events.listen(kind, found.before_commit, Phase.before_commit)
    events.listen(kind, found.after_commit, Phase.after_commit)
    events.listen(kind, found.after_commit, Phase.after_commit)  # again: still once
    return kind, found


async def test_listeners_run_once_per_transaction_before_and_after_commit(recorder):
    kind, found = recorder
    async with write_transaction():
        await events.emit(kind(1), kind(2))
        await events.emit(kind(2))
        assert found.before == [] and found.after == []  # nothing before the commit
    assert found.before == [{kind(1), kind(2)}]  # once, with every event of the transaction
    assert found.after == [kind(1), kind(2), kind(2)]  # each event, once it committed


async def test_a_rolled_back_transaction_runs_no_after_commit_listener(recorder):
    kind, found = recorder
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await events.emit(kind(1))
            raise RuntimeError("refused")
    assert found.before == [] and found.after == []


async def test_outside_a_transaction_both_run_at_once(recorder):
    kind, found = recorder
    await events.emit(kind(3))
    assert found.before == [{kind(3)}] and found.after == [kind(3)]


def test_every_side_effect_is_wired_once():
    from backend import listeners, metrics
    from backend.cases import figures, public_record, search
    from backend.live import bus
    from backend.notifications import outbox, subscriptions
    from backend.routing import automatic, services as routing

    listeners.wire()
    listeners.wire()
    assert events.listeners_of(EntryAppended) == [
        (Phase.before_commit, automatic.on_entries_appended),  # first: the others count the case as routed
        (Phase.before_commit, routing.on_entries_appended),
        (Phase.before_commit, figures.on_entries_appended),
        (Phase.before_commit, public_record.on_public_record_changed),  # after the figures: see listeners.py
        (Phase.before_commit, outbox.on_entries_appended),
        (Phase.after_commit, bus.announce_entry),
        (Phase.after_commit, metrics.on_entry_appended),
    ]
    assert events.listeners_of(PhotoProcessed) == [(Phase.after_commit, metrics.on_photo_processed)]
    assert events.listeners_of(NotificationDelivered) == [(Phase.after_commit, metrics.on_notification_delivered)]
    assert events.listeners_of(PublicTextChanged) == [(Phase.before_commit, search.on_public_text_changed)]
    for changed in (CaseSupported, OrganisationChanged, RecordRebuilt):
        assert events.listeners_of(changed) == [(Phase.before_commit, public_record.on_public_record_changed)]
    assert events.listeners_of(PersonalDataErased) == [(Phase.before_commit, subscriptions.on_personal_data_erased)]


def test_the_domain_services_load_nothing_of_litestar():
    code = (
        "import sys; import backend.cases.workflow, backend.cases.ratings, backend.cases.supervision, backend.representatives.services; "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('litestar', 'starlette', 'uvicorn')}))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
