"""Merging a duplicate into the case it repeats, after acceptance: its supporters and followers
move there (nobody counts twice), it leaves the public record, its filer is told where it now
lives; a moderator's undo puts everything back exactly."""

from __future__ import annotations

import json

import pytest

from backend.cases import merging, services, support, workflow
from backend.cases.actions import Assign, Merge, Reject, Unmerge
from backend.cases.browse import CaseFilter, browse
from backend.cases.tables import Case, CaseMerge, MovedSupport, Support, TimelineEntry
from backend.errors import InvalidInput, WrongState
from backend.notifications import subscriptions
from backend.notifications.tables import Message, MovedSubscription, Subscription
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR

PUSH = json.dumps({"endpoint": "https://push.example.com/send/1", "keys": {"p256dh": "key", "auth": "secret"}})


def test_only_a_case_still_handled_or_answered_takes_a_duplicate_in():
    assert merging.merge_target_refusal(1, None) == merging.GIVE_THE_ORIGINAL
    assert merging.merge_target_refusal(1, {"id": 1, "status": "accepted"}) == merging.GIVE_THE_ORIGINAL  # itself
    for status in ("accepted", "assigned", "signed", "in_progress", "returned", "replied", "unsatisfied"):
        assert merging.merge_target_refusal(1, {"id": 2, "status": status}) is None, status
    for status in ("submitted", "rejected", "duplicate", "merged", "withdrawn", "rated", "closed", "draft"):
        assert merging.merge_target_refusal(1, {"id": 2, "status": status}) is not None, status


def test_only_supporters_new_to_the_original_move():
    duplicate = [{"id": 1, "supporter": "a"}, {"id": 2, "supporter": "b"}, {"id": 3, "supporter": "c"}]
    assert merging.supports_to_move(duplicate, {"b", "z"}) == [1, 3]
    assert merging.supports_to_move([], {"a"}) == []


async def accepted(settings, categories, title: str, **overrides):
    filed = await file(settings, form(categories["water"], title=title, **overrides))
    await workflow.perform(filed.number, "accept", MODERATOR)
    return filed


async def row(number: str) -> dict:
    return await Case.select(
        Case.id, Case.status, Case.published_at, Case.support_count, Case.duplicate_of.number.as_alias("duplicate_of")
    ).where(Case.number == number).first()


async def subscriptions_of(number: str) -> list[tuple[str, str, str]]:
    case_id = (await row(number))["id"]
    found = await Subscription.select(Subscription.audience, Subscription.channel, Subscription.address).where(Subscription.case == case_id)
    return sorted((s["audience"], s["channel"], s["address"]) for s in found)


async def test_a_merge_moves_supporters_and_followers_and_its_undo_restores_them_exactly(settings, categories):
    original = await accepted(settings, categories, "小区门口路灯不亮")
    duplicate = await accepted(settings, categories, "门口的路灯坏了好几天")
    await workflow.perform(duplicate.number, Assign(department_id=categories["water"].department), MODERATOR)
    for who, numbers in {"both": (original, duplicate), "dup": (duplicate,), "orig": (original,)}.items():
        for case in numbers:
            await support.support(case.number, [who])
    await subscriptions.follow_by_email(duplicate.number, "neighbour@example.com", "zh-CN")
    await subscriptions.follow_by_email(duplicate.number, "both@example.com", "zh-CN")
    await subscriptions.follow_by_email(original.number, "both@example.com", "zh-CN")
    await subscriptions.subscribe_sms(duplicate.follow_token, "13800138000", True, "zh-CN")
    await subscriptions.subscribe_email(duplicate.follow_token, "filer@example.com", "zh-CN")  # not confirmed: not copied
    before = {number: await row(number) for number in (original.number, duplicate.number)}
    subscribed_before = {number: await subscriptions_of(number) for number in (original.number, duplicate.number)}
    assert (before[original.number]["support_count"], before[duplicate.number]["support_count"]) == (2, 2)

    await workflow.perform(duplicate.number, Merge(original=f" {original.number} ", text="两件反映的是同一盏路灯"), MODERATOR)

    merged = await row(duplicate.number)
    assert (merged["status"], merged["duplicate_of"], merged["published_at"]) == ("merged", original.number, None)
    assert (await row(original.number))["support_count"] == 3 and merged["support_count"] == 1  # "both" counted once
    public = [case.number for case in (await browse(CaseFilter())).cases]
    assert duplicate.number not in public and original.number in public
    assert await services.public_case(duplicate.number) is None
    assert await subscriptions_of(original.number) == sorted([
        ("follower", "email", "both@example.com"),
        ("follower", "email", "neighbour@example.com"),
        ("follower", "sms", "13800138000"),  # the filer's confirmed subscription, copied
    ])
    assert await subscriptions_of(duplicate.number) == sorted([
        ("filer", "email", "filer@example.com"), ("filer", "sms", "13800138000"), ("follower", "email", "both@example.com"),
    ])
    # The filer is told, through the outbox, and reads it on their follow page with the link.
    told = await Message.select(Message.event, Message.subscription.address.as_alias("to")).where(Message.event == "merged")
    assert told == [{"event": "merged", "to": "13800138000"}]
    follow = await services.case_for_follow_token(duplicate.follow_token)
    assert follow.duplicate_of == original.number
    assert [entry.action for entry in follow.timeline][-1] == "merge"

    with pytest.raises(InvalidInput):  # the filer cannot be told twice over: nothing merges into a merged case
        await workflow.perform(original.number, Merge(original=duplicate.number), MODERATOR)
    with pytest.raises(InvalidInput):  # the undo needs its reason
        await workflow.perform(duplicate.number, Unmerge(), MODERATOR)
    await workflow.perform(duplicate.number, Unmerge(text="并非同一盏路灯"), MODERATOR)

    assert {number: await row(number) for number in (original.number, duplicate.number)} == before
    assert {number: await subscriptions_of(number) for number in (original.number, duplicate.number)} == subscribed_before
    assert await MovedSupport.count() == 0 and await MovedSubscription.count() == 0
    assert (await CaseMerge.select(CaseMerge.undone_at).first())["undone_at"] is not None
    assert duplicate.number in [case.number for case in (await browse(CaseFilter())).cases]
    last = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.status_after).order_by(TimelineEntry.id, ascending=False).first()
    assert last == {"action": "unmerge", "status_after": "assigned"}
    with pytest.raises(WrongState):  # the table: only a merged case is unmerged
        await workflow.perform(duplicate.number, Unmerge(text="再来一次"), MODERATOR)


async def test_a_duplicate_merges_only_into_a_case_still_open(settings, categories):
    duplicate = await accepted(settings, categories, "门口的路灯坏了好几天")
    rejected = await file(settings, form(categories["water"]))
    await workflow.perform(rejected.number, Reject(text="不属于受理范围"), MODERATOR)
    for typed, message in [
        (duplicate.number, merging.GIVE_THE_ORIGINAL),
        ("2026-999999", merging.GIVE_THE_ORIGINAL),
        ("not a number", merging.GIVE_THE_ORIGINAL),
        (rejected.number, "A case can be merged only into one that is still being handled or answered."),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await workflow.perform(duplicate.number, Merge(original=typed), MODERATOR)
        assert refused.value.message == message
    assert (await row(duplicate.number))["status"] == "accepted"
    assert await CaseMerge.count() == 0 and await Support.count() == 0


async def test_a_private_original_takes_no_followers(settings, categories):
    original = await accepted(settings, categories, "小区门口路灯不亮", publication="private")
    duplicate = await accepted(settings, categories, "门口的路灯坏了好几天")
    await subscriptions.follow_by_push(duplicate.number, PUSH, "zh-CN")
    await workflow.perform(duplicate.number, Merge(original=original.number), MODERATOR)
    assert await subscriptions_of(original.number) == []
    assert (await row(duplicate.number))["status"] == Status.merged.value
    assert await merging.public_original(duplicate.number) is None  # its public address leads nowhere


async def test_a_merged_cases_public_address_leads_to_its_public_original(settings, categories):
    original = await accepted(settings, categories, "小区门口路灯不亮")
    duplicate = await accepted(settings, categories, "门口的路灯坏了好几天")
    assert await merging.public_original(duplicate.number) is None  # not merged
    await workflow.perform(duplicate.number, Merge(original=original.number), MODERATOR)
    assert await merging.public_original(duplicate.number) == original.number
    assert await merging.public_original(original.number) is None
