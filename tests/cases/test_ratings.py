"""The filer's rating of an answer, through the services: every path from a published reply,
the refusals, the moderators' publication of ratings, and closing answers nobody rated."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend import clock
from backend.cases import actions, ratings, services, workflow
from backend.vocabulary import Role, Status
from backend.cases.ratings import ALREADY_RATED, RatingError, RatingForm
from backend.cases.services import Actor
from backend.cases.tables import Case, Rating, TimelineEntry
from backend.photos import services as photos
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of
from tests.support import jpeg

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)  # a working morning


async def answered(settings, categories, **overrides) -> services.FiledCase:
    """A case whose official reply is published: the filer may rate it."""
    filed = await file(settings, form(categories["water"], **overrides))
    await bring_to(filed.number, Status.replied, categories["water"].department)
    return filed


async def case_row(number: str) -> Case:
    return await Case.objects().where(Case.number == number).first()


async def answer_again(number: str, department_id: int) -> None:
    """After a reopen: the department signs again, replies, and the centre publishes it."""
    handler = handler_of(department_id)
    await workflow.perform(number, "sign", handler)
    entry_id = await workflow.perform(number, "draft_reply", handler, body="已再次派人维修，确认不再漏水。")
    await workflow.review(entry_id, "approve", MODERATOR)


def rating(satisfaction="satisfied", solved="yes", comment="", photo_keys=()) -> RatingForm:
    return RatingForm(satisfaction=satisfaction, solved=solved, comment=comment, photo_keys=list(photo_keys))


async def test_a_satisfied_rating_closes_the_loop(settings, categories):
    filed = await answered(settings, categories)
    entry_id = await ratings.rate(filed.follow_token, rating("satisfied", "yes", "修得很快，谢谢！"))
    case = await case_row(filed.number)
    assert case.status == Status.rated.value
    row = await Rating.objects().first()
    assert (row.satisfaction, row.solved, row.entry, row.publication) == ("satisfied", "yes", entry_id, "pending")
    entry = await TimelineEntry.objects().where(TimelineEntry.id == entry_id).first()
    assert (entry.action, entry.actor_role, entry.visibility, entry.body) == ("rate_satisfied", "citizen", "filer", "修得很快，谢谢！")
    assert entry.refers_to == row.reply  # the published reply it rates
    follow = await services.case_for_follow_token(filed.follow_token)
    assert [(r.satisfaction, r.publication) for r in follow.ratings] == [("satisfied", "pending")]
    public = await services.public_case(filed.number)
    assert public.ratings == [] and "修得很快" not in str(public.timeline)  # not before a moderator publishes it
    # Basically satisfied and partly solved closes it too.
    other = await answered(settings, categories)
    await ratings.rate(other.follow_token, rating("basically_satisfied", "partly"))
    assert (await case_row(other.number)).status == Status.rated.value


async def test_unsatisfied_goes_to_the_moderators_who_reopen_it_with_a_fresh_answer_clock(settings, categories):
    water = categories["water"].department
    with clock.travel_to(MONDAY):
        filed = await answered(settings, categories)
    first = await case_row(filed.number)
    with clock.travel_to(MONDAY + timedelta(days=1)):
        await ratings.rate(filed.follow_token, rating("unsatisfied", "partly", "只修了一半，还在漏水"))
    assert (await case_row(filed.number)).status == Status.unsatisfied.value
    assert [case.number for case in await services.staff_cases({Status.unsatisfied})] == [filed.number]

    reopened_at = MONDAY + timedelta(days=2)
    with clock.travel_to(reopened_at):
        await workflow.perform(filed.number, "reopen", MODERATOR, body="请再次上门检查管道")
    case = await case_row(filed.number)
    assert (case.status, case.department, case.reopened_count) == (Status.assigned.value, water, 1)
    assert case.answered_at is None and case.signed_at is None
    assert case.answer_due_at > first.answer_due_at and case.assigned_at == reopened_at
    assert case.first_assigned_at == first.first_assigned_at  # the history of the first assignment stays
    assert case.responded_at == first.responded_at  # the first public response was given already
    # 3 working days from Wednesday 10:00 (working hours 09:00-12:00, 13:30-17:30).
    assert case.answer_due_at == datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    public = await services.public_case(filed.number)
    assert public.timeline[-1].action == "reopen" and public.timeline[-1].body == "请再次上门检查管道"

    with clock.travel_to(reopened_at + timedelta(hours=2)):
        await answer_again(filed.number, water)
        assert (await case_row(filed.number)).answered_at == clock.now()
        await ratings.rate(filed.follow_token, rating("satisfied", "yes"))
    assert (await case_row(filed.number)).status == Status.rated.value
    rows = await Rating.select(Rating.satisfaction, Rating.reply).order_by(Rating.id)
    assert [row["satisfaction"] for row in rows] == ["unsatisfied", "satisfied"]
    assert rows[0]["reply"] != rows[1]["reply"]  # each rates its own reply


async def test_not_solved_is_closed_with_an_explanation_the_filer_sees(settings, categories):
    filed = await answered(settings, categories)
    await ratings.rate(filed.follow_token, rating("satisfied", "no"))  # polite, but nothing was solved
    assert (await case_row(filed.number)).status == Status.unsatisfied.value
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, "close", MODERATOR, body=" ")
    assert status_of(refused.value) == 422
    await workflow.perform(filed.number, "close", MODERATOR, body="经核实，该管道属小区物业产权，已告知物业负责维修。")
    assert (await case_row(filed.number)).status == Status.closed.value
    follow = await services.case_for_follow_token(filed.follow_token)
    assert follow.timeline[-1].body == "经核实，该管道属小区物业产权，已告知物业负责维修。"
    public = await services.public_case(filed.number)
    assert public.status == "closed" and "物业产权" not in str(public.timeline)


async def test_a_reply_is_rated_once(settings, categories):
    filed = await answered(settings, categories)
    await ratings.rate(filed.follow_token, rating())
    for again in (rating(), rating("unsatisfied", "no")):
        with pytest.raises(Refusal) as refused:
            await ratings.rate(filed.follow_token, again)
        assert (status_of(refused.value), refused.value.message) == (409, ALREADY_RATED)
    assert await Rating.count() == 1
    # Straight through the workflow, too: the state is checked under the row lock.
    with pytest.raises(Refusal) as refused:
        await workflow.perform(filed.number, actions.RateSatisfied(satisfaction="satisfied", solved="yes"), Actor(Role.citizen))
    assert status_of(refused.value) == 409


async def test_no_rating_before_the_reply_is_published(settings, categories):
    filed = await file(settings, form(categories["water"]))
    with pytest.raises(Refusal) as refused:
        await ratings.rate(filed.follow_token, rating())
    assert (status_of(refused.value), refused.value.message) == (409, actions.NOT_ANSWERED_YET)
    await bring_to(filed.number, Status.signed, categories["water"].department)
    await workflow.perform(filed.number, "draft_reply", handler_of(categories["water"].department), body="草稿：已修复")
    with pytest.raises(Refusal) as refused:  # a draft waiting for the centre is no answer yet
        await ratings.rate(filed.follow_token, rating())
    assert status_of(refused.value) == 409
    assert await Rating.count() == 0


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "y" * 10_000])
async def test_an_unknown_follow_link_rates_nothing(settings, categories, token):
    await answered(settings, categories)
    with pytest.raises(Refusal) as refused:
        await ratings.rate(token, rating())
    assert status_of(refused.value) == 404


async def test_hostile_input_is_refused_field_by_field(settings, categories):
    filed = await answered(settings, categories)
    for bad in (
        rating("very", "", "太" * 1001, ["a" * 16, "b" * 16]),
        rating("满意", "yes'; DROP TABLE rating;--", "x", []),
    ):
        with pytest.raises(RatingError) as refused:
            await ratings.rate(filed.follow_token, bad)
        assert status_of(refused.value) == 422
        assert {"satisfaction", "solved"} <= set(refused.value.errors)
    assert set(refused.value.errors) == {"satisfaction", "solved"}
    with pytest.raises(RatingError) as refused:
        await ratings.rate(filed.follow_token, rating("satisfied", "yes", "太" * 1001, ["a" * 16, "b" * 16]))
    assert set(refused.value.errors) == {"comment", "photos"}
    with pytest.raises(RatingError) as refused:
        await ratings.rate(filed.follow_token, rating(photo_keys=["not-an-uploaded-photo"]))
    assert set(refused.value.errors) == {"photos"}
    for action, satisfaction, solved in (("rate_satisfied", "unsatisfied", "yes"), ("rate_unsatisfied", "satisfied", "partly"), ("rate_satisfied", "", "")):
        with pytest.raises(Refusal) as refused:  # straight through the workflow: the table's rule holds
            await workflow.perform(filed.number, actions.INPUTS[action](satisfaction=satisfaction, solved=solved), Actor(Role.citizen))
        assert status_of(refused.value) == 422
    assert await Rating.count() == 0 and (await case_row(filed.number)).status == "replied"
    # Exactly at the limit is fine, and control characters are dropped.
    await ratings.rate(filed.follow_token, rating(" satisfied ", "yes", "好" * 1000 + "\x07"))
    entry = await TimelineEntry.objects().where(TimelineEntry.action == "rate_satisfied").first()
    assert entry.body == "好" * 1000


async def test_the_photo_of_a_problem_that_came_back_is_public_only_once_published(settings, categories):
    filed = await answered(settings, categories)
    photo = await photos.upload_photo(jpeg())
    entry_id = await ratings.rate(filed.follow_token, rating("unsatisfied", "no", "又漏了", [photo.key]))
    assert list((await photos.photos_of_entries([entry_id]))[entry_id]) != []
    follow = await services.case_for_follow_token(filed.follow_token)
    assert [p.key for p in follow.timeline[-1].photos] == [photo.key]
    assert (await services.public_case(filed.number)).ratings == []
    pending = await ratings.pending_ratings()
    assert [p.key for p in pending[0].photos] == [photo.key]
    await ratings.decide_publication(pending[0].rating_id, "publish", MODERATOR, comment="又漏了")
    published = (await services.public_case(filed.number)).ratings
    assert [(r.satisfaction, r.solved, r.comment) for r in published] == [("unsatisfied", "no", "又漏了")]
    assert [p.key for p in published[0].photos] == [photo.key]


async def test_moderators_publish_ratings_with_personal_data_edited_out(settings, categories):
    filed = await answered(settings, categories)
    entry_id = await ratings.rate(filed.follow_token, rating("satisfied", "yes", "我是王先生，电话13800138000，谢谢师傅！"))
    assert await ratings.pending_rating_count() == 1
    [pending] = await ratings.pending_ratings()
    assert (pending.case_number, pending.comment) == (filed.number, "我是王先生，电话13800138000，谢谢师傅！")
    for role in (Role.handler, Role.leader, Role.citizen):
        with pytest.raises(Refusal) as refused:
            await ratings.decide_publication(pending.rating_id, "publish", Actor(role))
        assert status_of(refused.value) == 403
    for decision, status in (("teleport", 409), ("publish", 422)):
        with pytest.raises(Refusal) as refused:
            await ratings.decide_publication(pending.rating_id, decision, MODERATOR, comment="长" * 1001)
        assert status_of(refused.value) == status
    with pytest.raises(Refusal) as refused:
        await ratings.decide_publication(999999, "publish", MODERATOR)
    assert status_of(refused.value) == 404

    decision_id = await ratings.decide_publication(pending.rating_id, "publish", MODERATOR, comment="谢谢师傅！")
    public = await services.public_case(filed.number)
    assert [(r.satisfaction, r.comment) for r in public.ratings] == [("satisfied", "谢谢师傅！")]
    assert "13800138000" not in str(public)
    staff = await services.staff_case(filed.number)
    assert "我是王先生，电话13800138000，谢谢师傅！" in [entry.body for entry in staff.case.timeline]  # the original stays
    decision = await TimelineEntry.objects().where(TimelineEntry.id == decision_id).first()
    assert (decision.action, decision.visibility, decision.refers_to) == ("rating_publish", "internal", entry_id)
    with pytest.raises(Refusal) as refused:
        await ratings.decide_publication(pending.rating_id, "withhold", MODERATOR)
    assert status_of(refused.value) == 409
    assert await ratings.pending_rating_count() == 0


async def test_withheld_and_private_ratings_never_reach_the_public(settings, categories):
    public_case = await answered(settings, categories)
    private_case = await answered(settings, categories, publication="private")
    await ratings.rate(public_case.follow_token, rating(comment="一般"))
    await ratings.rate(private_case.follow_token, rating(comment="私密"))
    [pending] = await ratings.pending_ratings()  # a private case's rating has no public page to go on
    assert pending.case_number == public_case.number
    await ratings.decide_publication(pending.rating_id, "withhold", MODERATOR, comment="ignored")
    assert (await services.public_case(public_case.number)).ratings == []
    assert [r.publication for r in (await services.case_for_follow_token(private_case.follow_token)).ratings] == ["private"]
    assert (await Rating.objects().where(Rating.publication == "withheld").first()).published_comment == ""


async def test_an_answer_not_rated_in_time_closes_as_not_rated(settings, categories):
    with clock.travel_to(MONDAY):
        waiting = await answered(settings, categories)
        rated = await answered(settings, categories)
        await ratings.rate(rated.follow_token, rating())
    with clock.travel_to(MONDAY + timedelta(days=7) - timedelta(minutes=1)):
        assert await ratings.close_unrated(clock.now()) == 0
    later = MONDAY + timedelta(days=7, minutes=1)
    with clock.travel_to(later):
        assert await ratings.close_unrated(clock.now()) == 1
        assert await ratings.close_unrated(clock.now()) == 0  # idempotent
    case = await case_row(waiting.number)
    assert case.status == Status.closed.value
    entries = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.actor_role, TimelineEntry.visibility).where(
        TimelineEntry.case == case.id, TimelineEntry.action == "close_unrated"
    )
    assert entries == [{"action": "close_unrated", "actor_role": "system", "visibility": "public"}]
    assert (await case_row(rated.number)).status == Status.rated.value
    with pytest.raises(Refusal) as refused:
        await ratings.rate(waiting.follow_token, rating())
    assert (status_of(refused.value), refused.value.message) == (409, "This answer can no longer be rated.")


async def test_the_rating_days_are_a_setting(settings, categories, monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(ratings, "get_settings", lambda: replace(settings, rating_days=2))
    with clock.travel_to(MONDAY):
        filed = await answered(settings, categories)
    assert await ratings.close_unrated(MONDAY + timedelta(days=2, seconds=1)) == 1
    assert (await case_row(filed.number)).status == Status.closed.value


async def test_a_reply_published_again_is_not_closed_by_a_run_that_looked_before(settings, categories):
    with clock.travel_to(MONDAY):
        filed = await answered(settings, categories)
    with pytest.raises(Refusal) as refused:  # the cutoff is re-checked under the row lock
        await workflow.perform(filed.number, actions.CloseUnrated(replied_before=MONDAY - timedelta(days=1)), Actor(Role.system))
    assert status_of(refused.value) == 409


async def test_two_runs_at_once_close_each_case_once(settings, categories):
    with clock.travel_to(MONDAY):
        numbers = [(await answered(settings, categories)).number for _ in range(3)]
    later = MONDAY + timedelta(days=8)
    with clock.travel_to(later):
        counts = await asyncio.gather(ratings.close_unrated(later), ratings.close_unrated(later))
    assert sum(counts) == 3
    for number in numbers:
        case = await case_row(number)
        assert case.status == Status.closed.value
        assert await TimelineEntry.count().where(TimelineEntry.case == case.id, TimelineEntry.action == "close_unrated") == 1


async def test_leaders_see_the_filers_who_are_not_satisfied(person, settings, categories):
    filed = await answered(settings, categories)
    content = await answered(settings, categories)
    await ratings.rate(filed.follow_token, rating("unsatisfied", "no", "根本没修"))
    await ratings.rate(content.follow_token, rating("satisfied", "yes"))
    page = await (await person("leader")).client.get("/leader")
    section = page.text.split('id="unsatisfied-heading"')[1].split("</section>")[0]
    assert filed.number in section and content.number not in section
