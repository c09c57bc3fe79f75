"""The queues' bulk forms over HTTP: the cases ticked, the action's own fields, each case's
outcome listed (refused ones with the reason, in the person's language); a page without
script, the list alone for htmx."""

from __future__ import annotations

from backend.vocabulary import Status
from tests.cases.test_lifecycle import bring_to, filed_case


async def test_a_moderator_bulk_assigns_from_the_queue(person, settings, categories):
    water = categories["water"].department
    moderator = await person("moderator")
    new = [await filed_case(settings, categories, title=f"路灯不亮 {n}") for n in range(2)]
    signed = await filed_case(settings, categories, title="水管爆裂")
    await bring_to(signed, Status.signed, water)

    queue = await moderator.client.get("/moderation")
    assert 'form="bulk-assign"' in queue.text and 'id="bulk-assign"' in queue.text
    assert 'name="department_id"' in queue.text  # the assign action's own partial

    response = await moderator.post_form("/staff/bulk/assign", {"number": [*new, signed], "department_id": str(water)})
    assert response.status_code == 200
    assert "<html" in response.text  # a page of its own without script
    assert "2 done." in response.text
    assert f"{signed}</a>: This cannot be done while the case is in its current state." in response.text

    fragment = await moderator.client.post(
        "/staff/bulk/assign", data={"number": new, "department_id": str(water)}, headers={"hx-request": "true"}
    )
    assert "<html" not in fragment.text
    assert fragment.text.count("This cannot be done while the case is in its current state.") == 2


async def test_bad_bulk_input_is_a_4xx_with_a_message(person, settings, categories):
    moderator = await person("moderator")
    number = await filed_case(settings, categories)
    nothing = await moderator.post_form("/staff/bulk/assign", {"department_id": "1"})
    assert nothing.status_code == 422 and "Choose at least one case." in nothing.text
    unreadable = await moderator.post_form("/staff/bulk/assign", {"number": number, "department_id": "-5"})
    assert unreadable.status_code == 422 and "Choose the department that will handle this case." in unreadable.text
    too_many = await moderator.post_form("/staff/bulk/assign", {"number": [f"2026-{n:06d}" for n in range(101)], "department_id": "1"})
    assert too_many.status_code == 422 and "Choose at most 100 at a time." in too_many.text
    assert (await moderator.post_form("/staff/bulk/post_internal_note", {"number": number})).status_code == 404
    chinese = await moderator.client.post("/staff/bulk/assign", data={"department_id": "1"}, headers={"accept-language": "zh-CN"})
    assert chinese.status_code == 422 and "Choose at least one case." not in chinese.text


async def test_a_role_the_action_is_not_for_is_refused_before_any_case(person, settings, categories):
    water = categories["water"].department
    handler = await person("handler", department_id=water)
    number = await filed_case(settings, categories)
    response = await handler.post_form("/staff/bulk/assign", {"number": number, "department_id": str(water)})
    assert response.status_code == 403
    page = await handler.client.get("/department")
    assert 'id="bulk-sign"' in page.text


async def test_ratings_are_published_together_from_their_queue(person, settings, categories):
    from backend.cases import ratings
    from tests.cases.test_ratings import answered, rating

    moderator = await person("moderator")
    filed = await answered(settings, categories)
    await ratings.rate(filed.follow_token, rating(comment="谢谢"))
    [pending] = await ratings.pending_ratings()
    page = await moderator.client.get("/moderation/ratings")
    assert 'form="bulk-ratings"' in page.text
    response = await moderator.post_form("/moderation/ratings/publish", {"rating_id": [str(pending.rating_id), "x"]})
    assert response.status_code == 200
    assert "1 done." in response.text and "There is no such rating." in response.text
    assert await ratings.pending_ratings() == []


async def test_a_leader_supervises_overdue_cases_from_the_overview(person, settings, categories):
    from backend import clock
    from backend.cases.tables import Case

    leader = await person("leader")
    number = await filed_case(settings, categories)
    await bring_to(number, Status.assigned, categories["water"].department)
    await Case.update({Case.sign_overdue_at: clock.now()}).where(Case.number == number)  # as the clock jobs flag it
    page = (await leader.client.get("/leader")).text
    assert 'id="bulk-supervise"' in page and f'id="pick-overdue-{number}"' in page
    response = await leader.post_form("/staff/bulk/supervise", {"number": number, "body": "请今日内签收", "internal": "false"})
    assert response.status_code == 200 and "1 done." in response.text
    assert (await Case.select(Case.supervised_at).where(Case.number == number).first())["supervised_at"] is not None
