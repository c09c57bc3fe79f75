"""Bulk actions: one action on several cases, each through ``workflow.perform`` in a transaction
of its own; what is refused is listed with its reason, and leaves the others done."""

from __future__ import annotations

import pytest

from backend.cases import bulk, ratings
from backend.cases.actions import Assign, Sign, Supervise
from backend.cases.tables import Case, Rating, TimelineEntry
from backend.errors import Forbidden, InvalidInput
from backend.vocabulary import Status
from tests.cases.test_lifecycle import MODERATOR, bring_to, filed_case, handler_of, leader
from tests.cases.test_ratings import answered, rating

WRONG_STATE = "This cannot be done while the case is in its current state."
NO_SUCH_CASE = "There is no such case."


async def status(number: str) -> str:
    return (await Case.select(Case.status).where(Case.number == number).first())["status"]


def test_the_cases_chosen_are_each_taken_once_and_at_most_a_page_of_them():
    assert bulk.chosen(["2026-000002", " 2026-000001", "2026-000002", ""]) == ["2026-000002", "2026-000001"]
    with pytest.raises(InvalidInput) as none:
        bulk.chosen(["", "  "])
    assert none.value.message == bulk.NOTHING_CHOSEN
    with pytest.raises(InvalidInput) as many:
        bulk.chosen([f"2026-{n:06d}" for n in range(bulk.BULK_MAX + 1)])
    assert many.value.message == bulk.TOO_MANY


async def test_a_moderator_accepts_and_assigns_several_each_refused_one_with_its_reason(settings, categories):
    water = categories["water"].department
    new = [await filed_case(settings, categories, title=f"路灯不亮 {n}") for n in range(3)]
    accepted = await filed_case(settings, categories, title="井盖缺失")
    await bring_to(accepted, Status.accepted, water)
    signed = await filed_case(settings, categories, title="水管爆裂")
    await bring_to(signed, Status.signed, water)

    outcomes = await bulk.perform_each([*new, accepted, signed, "2026-999999", "２０２６-000001"], Assign(department_id=water), MODERATOR)

    assert [(o.item, o.done) for o in outcomes][:4] == [(number, True) for number in [*new, accepted]]
    assert {o.item: o.refusal for o in outcomes if not o.done} == {
        signed: WRONG_STATE, "2026-999999": NO_SUCH_CASE, "２０２６-000001": NO_SUCH_CASE,
    }
    assert [await status(number) for number in [*new, accepted, signed]] == ["assigned"] * 4 + ["signed"]
    # Each new case went through the table: accepted, then assigned, two entries of the timeline.
    case_id = (await Case.select(Case.id).where(Case.number == new[0]).first())["id"]
    actions = await TimelineEntry.select(TimelineEntry.action).where(TimelineEntry.case == case_id).order_by(TimelineEntry.id)
    assert [row["action"] for row in actions][-2:] == ["accept", "assign"]


async def test_a_refused_case_keeps_its_state_and_the_lead_in_rolls_back_with_it(settings, categories):
    number = await filed_case(settings, categories)
    [outcome] = await bulk.perform_each([number], Assign(department_id=999999), MODERATOR)
    assert outcome.refusal == "Choose the department that will handle this case."
    assert await status(number) == "submitted"  # not accepted either: one transaction per case


async def test_a_department_signs_for_its_own_cases_and_no_other(settings, categories):
    water = categories["water"].department
    ours = [await filed_case(settings, categories, title=f"水压低 {n}") for n in range(2)]
    for number in ours:
        await bring_to(number, Status.assigned, water)
    theirs = await filed_case(settings, categories, title="别的单位的案件")
    await bring_to(theirs, Status.accepted, water)
    await bulk.perform_each([theirs], Assign(department_id=categories["roads"].department), MODERATOR)

    outcomes = await bulk.perform_each([*ours, theirs], Sign(), handler_of(water))
    assert [(o.item, o.refusal) for o in outcomes] == [(ours[0], None), (ours[1], None), (theirs, NO_SUCH_CASE)]
    assert [await status(number) for number in [*ours, theirs]] == ["signed", "signed", "assigned"]
    with pytest.raises(Forbidden):  # not a handler's action: no case is even tried
        await bulk.perform_each(ours, Assign(department_id=water), handler_of(water))


async def test_several_cases_are_supervised_with_one_note(settings, categories):
    water = categories["water"].department
    numbers = [await filed_case(settings, categories, title=f"垃圾未清运 {n}") for n in range(2)]
    for number in numbers:
        await bring_to(number, Status.signed, water)
    outcomes = await bulk.perform_each(numbers, Supervise(text="请于今日答复"), await leader())
    assert all(o.done for o in outcomes)
    supervised = await Case.select(Case.supervised_at).where(Case.number.is_in(numbers))
    assert all(row["supervised_at"] is not None for row in supervised)
    notes = await TimelineEntry.select(TimelineEntry.body).where(TimelineEntry.action == "supervise")
    assert [row["body"] for row in notes] == ["请于今日答复"] * 2
    # Without its note, each case is refused with the reason, and none is supervised again.
    refused = await bulk.perform_each(numbers, Supervise(), MODERATOR)
    assert {o.refusal for o in refused} == {"Write the text this needs: a reason, a note or the reply."}


async def test_several_ratings_are_published_without_their_comments(settings, categories):
    for comment in ("师傅很负责，电话13800138000", "谢谢"):
        filed = await answered(settings, categories)
        await ratings.rate(filed.follow_token, rating(comment=comment))
    first, second = [item.rating_id for item in await ratings.pending_ratings()]
    await ratings.decide_publication(second, "withhold", MODERATOR)

    outcomes = await bulk.publish_ratings([str(first), str(second), "abc", "99999999999"], MODERATOR)
    assert [(o.item, o.refusal) for o in outcomes] == [
        (str(first), None),
        (str(second), "This rating has already been dealt with."),
        ("abc", "There is no such rating."),
        ("99999999999", "There is no such rating."),
    ]
    assert await ratings.pending_ratings() == []
    published = await Rating.select(Rating.publication, Rating.published_comment).where(Rating.id == first).first()
    assert published == {"publication": "published", "published_comment": ""}
