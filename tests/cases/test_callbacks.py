"""Callback verification (回访): which answers the clock job queues and why, recording what the
filer said, the unsatisfied queue, departments' disputes of ratings, and the figures."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from backend import clock
from backend.cases import actions, callbacks, figures, ratings, workflow
from backend.cases.callbacks import Reason, reason_for, sampled
from backend.cases.ratings import RatingForm
from backend.cases.tables import Callback, Case, RatingDispute, TimelineEntry
from backend.errors import InvalidInput, WrongState
from backend.settings import get_settings
from tests.cases.test_clocks import MODERATOR, assigned_case, at
from tests.cases.test_figures import _token_of, assert_a_rebuild_agrees, reply
from tests.cases.test_supervision import tick

TUESDAY = at(2026, 11, 17, 10, 0)
WEDNESDAY = at(2026, 11, 18, 10, 0)


# -- pure rules ------------------------------------------------------------------------------


def test_the_sample_is_stable_and_takes_about_its_share():
    numbers = [f"2026-{n:06d}" for n in range(1, 4001)]
    drawn = [number for number in numbers if sampled(number, 0.1)]
    assert 320 <= len(drawn) <= 480  # a tenth, give or take
    assert drawn == [number for number in numbers if sampled(number, 0.1)]  # the same every time
    assert set(drawn) <= {number for number in numbers if sampled(number, 0.2)}  # a larger share keeps them
    assert not any(sampled(number, 0) for number in numbers) and all(sampled(number, 1) for number in numbers)


def test_why_an_answer_is_called_back():
    now, days = WEDNESDAY + timedelta(days=5), 3
    recent, old = now - timedelta(days=1), now - timedelta(days=3)
    in_sample = next(f"2026-{n:06d}" for n in range(1, 1000) if sampled(f"2026-{n:06d}", 0.1))
    not_in_sample = next(f"2026-{n:06d}" for n in range(1, 1000) if not sampled(f"2026-{n:06d}", 0.1))

    def why(source, number, rated, answered_at):
        return reason_for(source, number, rated, answered_at, now, days, 0.1)

    assert why("hotline", not_in_sample, False, recent) == Reason.phone  # at once
    assert why("mailbox", not_in_sample, True, recent) == Reason.letter
    assert why("web", in_sample, False, recent) is None  # the filer may still rate it
    assert why("web", not_in_sample, False, old) == Reason.unrated  # N days and no rating
    assert why("social", not_in_sample, False, old) == Reason.unrated
    assert why("web", in_sample, True, recent) == Reason.sample
    assert why("web", not_in_sample, True, recent) is None


# -- the queue -------------------------------------------------------------------------------


async def answered(settings, categories, source: str = "web") -> tuple[str, object]:
    """A complaint assigned on Tuesday and answered on Wednesday, taken in through ``source``."""
    number, handler = await assigned_case(settings, categories, TUESDAY)
    await Case.update({Case.source: source}).where(Case.number == number)
    with clock.travel_to(TUESDAY + timedelta(minutes=5)):
        await workflow.perform(number, "sign", handler)
    with clock.travel_to(WEDNESDAY):
        await reply(number, handler)
    return number, handler


async def queued() -> dict[str, str]:
    return {row["number"]: row["reason"] for row in await Callback.select(Callback.case.number.as_alias("number"), Callback.reason)}


@pytest.fixture
def share(monkeypatch):
    """Set the sample's share for a test."""

    def setting(value: float) -> None:
        changed = dataclasses.replace(get_settings(), callback_share=value)
        monkeypatch.setattr(callbacks, "get_settings", lambda: changed)

    return setting


async def test_the_job_queues_phone_and_letter_at_once_and_web_answers_once_not_rated(settings, categories, share):
    share(0)
    phone, _ = await answered(settings, categories, "hotline")
    letter, _ = await answered(settings, categories, "mailbox")
    unrated, _ = await answered(settings, categories)
    rated, _ = await answered(settings, categories)
    with clock.travel_to(WEDNESDAY + timedelta(hours=1)):
        await ratings.rate(await _token_of(rated, settings), RatingForm(satisfaction="satisfied", solved="yes"))
    await tick(WEDNESDAY + timedelta(minutes=1))
    assert await queued() == {phone: "phone", letter: "letter"}
    await tick(WEDNESDAY + timedelta(days=3, minutes=-1))
    assert await queued() == {phone: "phone", letter: "letter"}
    await tick(WEDNESDAY + timedelta(days=3))  # MINSHENG_CALLBACK_DAYS, and still not rated
    assert await queued() == {phone: "phone", letter: "letter", unrated: "unrated"}
    # Again, and two runs at once: nothing more.
    with clock.travel_to(WEDNESDAY + timedelta(days=4)):
        assert await asyncio.gather(callbacks.queue_callbacks(clock.now()), callbacks.queue_callbacks(clock.now())) == [0, 0]
    assert await Callback.count() == 3
    queue = await callbacks.queue()
    assert [item.case_number for item in queue] == [phone, letter, unrated]
    assert await callbacks.queue_count() == 3


async def test_a_sample_of_the_answers_rated_online_is_called_back(settings, categories, share):
    share(1)  # every one: the choice per case is the pure function's, tested above
    rated, _ = await answered(settings, categories)
    await tick(WEDNESDAY + timedelta(minutes=1))
    assert await queued() == {}  # not rated yet, and not yet N days
    with clock.travel_to(WEDNESDAY + timedelta(hours=2)):
        await ratings.rate(await _token_of(rated, settings), RatingForm(satisfaction="satisfied", solved="yes"))
    await tick(WEDNESDAY + timedelta(hours=2, minutes=1))
    assert await queued() == {rated: "sample"}


# -- recording -------------------------------------------------------------------------------


async def test_a_callback_that_did_not_reach_the_filer_stays_in_the_queue(settings, categories):
    number, _ = await answered(settings, categories, "hotline")
    await tick(WEDNESDAY + timedelta(minutes=1))
    with clock.travel_to(WEDNESDAY + timedelta(hours=1)):
        await workflow.perform(number, actions.RecordCallback(not_reached=True, text="无人接听"), MODERATOR)
    row = await Callback.select(Callback.attempts, Callback.reached_at).first()
    assert row == {"attempts": 1, "reached_at": None} and await callbacks.queue_count() == 1
    with clock.travel_to(WEDNESDAY + timedelta(hours=2)):
        await workflow.perform(number, actions.RecordCallback(satisfaction="satisfied", solved="yes", text="市民表示满意"), MODERATOR)
    row = await Callback.select(Callback.reached_at, Callback.satisfaction, Callback.solved).first()
    assert row == {"reached_at": WEDNESDAY + timedelta(hours=2), "satisfaction": "satisfied", "solved": "yes"}
    assert await callbacks.queue_count() == 0
    case = await Case.select(Case.status).where(Case.number == number).first()
    assert case["status"] == "replied"  # a satisfied callback leaves the filer's own rating to come
    with pytest.raises(WrongState):  # once per answer
        await workflow.perform(number, actions.RecordCallback(satisfaction="satisfied", solved="yes"), MODERATOR)
    entries = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.visibility, TimelineEntry.body).where(
        TimelineEntry.action == "record_callback"
    ).order_by(TimelineEntry.id)
    assert [(row["visibility"], row["body"]) for row in entries] == [("internal", "无人接听"), ("internal", "市民表示满意")]


async def test_an_unsatisfied_callback_sends_the_case_to_the_unsatisfied_queue(settings, categories):
    number, handler = await answered(settings, categories)  # not queued: a callback by hand
    entry = await workflow.perform(number, actions.RecordCallback(satisfaction="basically_satisfied", solved="no"), MODERATOR)
    row = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.status_after).where(TimelineEntry.id == entry).first()
    assert row == {"action": "record_callback_unsatisfied", "status_after": "unsatisfied"}
    assert (await Callback.select(Callback.reason).first())["reason"] == "by_hand"
    # The unsatisfied queue, as for an online rating: the centre reopens (重办) or closes it.
    await workflow.perform(number, "reopen", MODERATOR, body="请重新处理")
    case = await Case.select(Case.status, Case.reopened_count).where(Case.number == number).first()
    assert case == {"status": "assigned", "reopened_count": 1}


async def test_a_callback_needs_what_the_filer_said(settings, categories):
    number, _ = await answered(settings, categories)
    for wrong in (actions.RecordCallback(), actions.RecordCallback(satisfaction="happy", solved="yes")):
        with pytest.raises(InvalidInput):
            await workflow.perform(number, wrong, MODERATOR)
    with pytest.raises(InvalidInput):  # by name alone: nothing said
        await workflow.perform(number, "record_callback_unsatisfied", MODERATOR)
    assert await Callback.count() == 0 and await TimelineEntry.count().where(TimelineEntry.action.like("record_callback%")) == 0
    # Whichever row is asked for, what the filer said chooses it.
    entry = await workflow.perform(number, actions.RecordCallbackUnsatisfied(satisfaction="satisfied", solved="yes"), MODERATOR)
    assert (await TimelineEntry.select(TimelineEntry.action).where(TimelineEntry.id == entry).first())["action"] == "record_callback"


# -- disputes --------------------------------------------------------------------------------


async def test_a_department_disputes_the_latest_rating_and_the_centre_decides(settings, categories):
    number, handler = await answered(settings, categories)
    with pytest.raises(WrongState):  # nothing rated yet
        await workflow.perform(number, "dispute_rating", handler, body="尚未评价")
    with clock.travel_to(WEDNESDAY + timedelta(hours=1)):
        await ratings.rate(await _token_of(number, settings), RatingForm(satisfaction="unsatisfied", solved="partly"))
        await workflow.perform(number, "dispute_rating", handler, body="已按标准修复，评价不合理")
    with pytest.raises(WrongState):
        await workflow.perform(number, "dispute_rating", handler, body="再次申诉")
    assert await callbacks.pending_dispute_count() == 1
    await workflow.perform(number, "reject_dispute", MODERATOR, body="市民反映属实")
    assert (await RatingDispute.select(RatingDispute.status).first())["status"] == "rejected"
    with pytest.raises(WrongState):
        await workflow.perform(number, "uphold_dispute", MODERATOR)
    case = await Case.select(Case.status).where(Case.number == number).first()
    assert case["status"] == "unsatisfied"  # a dispute never moves the case


# -- the figures, checked by hand ----------------------------------------------------------


async def test_a_week_of_callbacks_cards_and_a_dispute_in_the_figures(settings, categories, share):
    """The week of Monday 16 November 2026, for the water company: six complaints assigned on
    Tuesday at 10:00 (answers due Friday at 10:00), five answered on Wednesday at 10:00."""
    share(0)
    phone, handler = await answered(settings, categories, "hotline")  # called back Thursday: 满意
    disputed, _ = await answered(settings, categories)  # rated 不满意 online; the dispute upheld
    unrated, _ = await answered(settings, categories)  # not rated: called back Sunday: 基本满意
    letter, _ = await answered(settings, categories, "mailbox")  # not reached Thursday; Friday: 不满意
    rated, _ = await answered(settings, categories)  # rated 满意 online
    silent, _ = await assigned_case(settings, categories, TUESDAY)  # never answered: yellow, then red
    thursday, friday, sunday = at(2026, 11, 19, 10, 0), at(2026, 11, 20, 10, 30), at(2026, 11, 22, 10, 0)
    await tick(WEDNESDAY + timedelta(minutes=1))
    with clock.travel_to(thursday):
        await ratings.rate(await _token_of(disputed, settings), RatingForm(satisfaction="unsatisfied", solved="no"))
        await ratings.rate(await _token_of(rated, settings), RatingForm(satisfaction="satisfied", solved="yes"))
        await workflow.perform(phone, actions.RecordCallback(satisfaction="satisfied", solved="yes"), MODERATOR)
        await workflow.perform(letter, actions.RecordCallback(not_reached=True), MODERATOR)
    # 80 % of its 21 working hours gone on Thursday at 14:18 (Tuesday 6 h, Wednesday 7, Thursday 3.8).
    await tick(at(2026, 11, 19, 14, 19))  # the silent case's yellow card
    with clock.travel_to(friday):
        await workflow.perform(letter, actions.RecordCallback(satisfaction="unsatisfied", solved="no"), MODERATOR)
        await workflow.perform(disputed, "dispute_rating", handler, body="管道已修复，市民不满意的是水费")
        await workflow.perform(disputed, "uphold_dispute", MODERATOR)
    await tick(friday + timedelta(minutes=1))  # the silent case's answer is overdue: a red card
    await tick(sunday - timedelta(minutes=1))  # three days after the answer: the unrated one is queued
    assert await queued() == {phone: "phone", letter: "letter", unrated: "unrated"}
    with clock.travel_to(sunday):
        await workflow.perform(unrated, actions.RecordCallback(satisfaction="basically_satisfied", solved="partly"), MODERATOR)

    week = {row.department_id: row for row in await figures.department_figures("week", sunday)}[categories["water"].department]
    assert (week.received, week.yellow_cards, week.red_cards) == (6, 1, 1)  # only the silent case was warned, then overdue
    # Self-rated: 满意 (rated) of the online ratings; the upheld dispute took 不满意 (disputed) out.
    assert week.satisfaction == 1 / 1
    # Callbacks that reached the filer: phone, letter (on its second call), unrated; of five answered.
    assert week.callback_coverage == 3 / 5
    # Said on callbacks: 满意 (phone) and 基本满意 (unrated) of three; 不满意 (letter).
    assert week.sampled_satisfaction == 2 / 3
    timeline = await TimelineEntry.select(TimelineEntry.action).where(TimelineEntry.case.number == disputed).order_by(TimelineEntry.id)
    assert [row["action"] for row in timeline][-2:] == ["dispute_rating", "uphold_dispute"]
    await assert_a_rebuild_agrees()
