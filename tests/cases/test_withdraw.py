"""The filer withdraws their case (撤回) through the follow link, while no department has it:
the case leaves the queues and the public record, and its personal data's clock starts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.cases import figures, retention, services, workflow
from backend.cases.actions import Withdraw
from backend.cases.tables import Case, CaseSearch, TimelineEntry, TopicCount
from backend.errors import NotFound, WrongState
from backend.vocabulary import MODERATION_QUEUE, Status, Visibility
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.keys import api_key, bearer  # noqa: F401  (a fixture)

EN = {"accept-language": "en"}


async def test_a_submitted_case_is_withdrawn_with_the_filers_reason_for_staff(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await workflow.perform_for_filer(filed.follow_token, Withdraw(text="水管已经修好了"))
    case = await Case.objects().where(Case.number == filed.number).first()
    assert case.status == Status.withdrawn.value and case.published_at is None
    entry = await TimelineEntry.select().where(TimelineEntry.case == case.id).order_by(TimelineEntry.id, ascending=False).first()
    assert (entry["action"], entry["body"], entry["visibility"]) == ("withdraw", "水管已经修好了", Visibility.filer.value)
    assert await services.count_cases(set(MODERATION_QUEUE)) == 0  # nothing left for the centre


async def test_an_accepted_public_case_leaves_the_public_record_its_search_and_its_topic_counts(settings, categories):
    filed = await file(settings, form(categories["water"], title="暖气管道漏水严重"))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    assert await services.public_case(filed.number) is not None
    assert await CaseSearch.count() == 1 and await TopicCount.count() > 0
    await workflow.perform_for_filer(filed.follow_token, Withdraw())
    assert await services.public_case(filed.number) is None
    assert await CaseSearch.count() == 0
    # Off the public topics; the centre still received the contact (``figures.CONTACT``).
    public_topics = await TopicCount.select(TopicCount.value).where(TopicCount.kind != figures.CONTACT)
    assert public_topics and [row["value"] for row in public_topics] == [0] * len(public_topics)
    contacts = await TopicCount.select(TopicCount.topic, TopicCount.value).where(TopicCount.kind == figures.CONTACT)
    assert contacts == [{"topic": "received", "value": 1}]


@pytest.mark.parametrize("state", [Status.assigned, Status.rejected, Status.withdrawn])
async def test_once_a_department_has_it_or_it_finished_it_cannot_be_withdrawn(settings, categories, state):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, state, categories["water"].department)
    with pytest.raises(WrongState):
        await workflow.perform_for_filer(filed.follow_token, Withdraw())
    assert (await Case.select(Case.status).where(Case.number == filed.number).first())["status"] == state.value


async def test_no_case_has_an_unknown_link(settings, categories):
    with pytest.raises(NotFound):
        await workflow.perform_for_filer("no-such-link-" + "x" * 30, Withdraw())


async def test_a_withdrawn_case_is_finished_for_the_retention_clock(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await workflow.perform_for_filer(filed.follow_token, Withdraw())
    assert await retention.anonymise_finished(clock.now() + timedelta(days=settings.personal_data_days + 1)) == 1


async def test_the_follow_page_withdraws_and_keeps_what_was_typed_when_refused(settings, categories, client, person):
    filed = await file(settings, form(categories["water"]))
    page = await client.get(f"/follow/{filed.follow_token}", headers=EN)
    assert f'action="/follow/{filed.follow_token}/withdraw"' in page.text and "Withdraw my case" in page.text
    too_long = "问题" * 2600
    refused = await client.post(f"/follow/{filed.follow_token}/withdraw", data={"body": too_long}, headers=EN)
    assert refused.status_code == 422 and too_long in refused.text and "too long" in refused.text
    moderator = await person("moderator")
    staff = await moderator.post_form(f"/follow/{filed.follow_token}/withdraw", {"body": "代替市民"})
    assert staff.status_code == 403
    done = await client.post(f"/follow/{filed.follow_token}/withdraw", data={"body": "已自行解决"})
    assert done.status_code == 303 and done.headers["location"] == f"/follow/{filed.follow_token}"
    page = await client.get(f"/follow/{filed.follow_token}", headers=EN)
    assert "Withdrawn by the filer" in page.text and "已自行解决" in page.text
    assert "/withdraw" not in page.text  # nothing more to withdraw
    again = await client.post(f"/follow/{filed.follow_token}/withdraw", data={"body": "再次"}, headers=EN)
    assert again.status_code == 409 and "cannot be done while the case is in its current state" in again.text
    unknown = await client.post("/follow/" + "x" * 43 + "/withdraw", data={"body": ""})
    assert unknown.status_code == 404


async def test_the_api_withdraws_for_the_platform_the_filer_used(settings, categories, client, api_key):
    filed = await file(settings, form(categories["water"]))
    headers = bearer(await api_key("file"))
    done = await client.post(f"/api/v1/follow/{filed.follow_token}/withdraw", json={"text": "已解决"}, headers=headers)
    assert done.status_code == 201 and done.json()["status"] == "withdrawn"
    again = await client.post(f"/api/v1/follow/{filed.follow_token}/withdraw", json={}, headers=headers)
    assert again.status_code == 409
    wrong = await client.post(f"/api/v1/follow/{filed.follow_token}/withdraw", json={"text": 5}, headers=headers)
    assert wrong.status_code in (400, 422)
