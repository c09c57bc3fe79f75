"""The lifecycle table: who may do what, from which state, and what the public then sees."""

from __future__ import annotations

import pytest

from backend.cases import services
from backend.cases.lifecycle import TRANSITIONS, Role, Status
from backend.cases.services import ActionRefused, Actor
from backend.cases.tables import Case, TimelineEntry
from tests.cases.test_filing import file, form

MODERATOR = Actor(Role.moderator)


async def filed_case(settings, categories, **overrides) -> str:
    return (await file(settings, form(categories["water"], **overrides))).number


async def bring_to(number: str, status: Status, department_id: int) -> None:
    path = {
        Status.submitted: [],
        Status.accepted: ["accept"],
        Status.rejected: ["reject"],
        Status.assigned: ["accept", "assign"],
        Status.signed: ["accept", "assign", "sign"],
        Status.in_progress: ["accept", "assign", "sign", "post_progress"],
    }[status]
    for action in path:
        role = next(iter(TRANSITIONS[action].roles - {Role.system}))
        await services.perform(number, action, Actor(role, "市自来水公司"), department_id=department_id)


REACHABLE = [Status.submitted, Status.accepted, Status.rejected, Status.assigned, Status.signed, Status.in_progress]


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("state", REACHABLE, ids=lambda s: s.value)
async def test_every_action_in_every_state(settings, categories, action, state):
    """Table-driven: allowed from its from-states, 409 from every other state."""
    department = categories["water"].department
    number = await filed_case(settings, categories)
    await bring_to(number, state, department)
    transition = TRANSITIONS[action]
    actor = Actor(next(iter(transition.roles - {Role.system})), "市自来水公司")
    entries_before = await TimelineEntry.count()
    if state in transition.from_states:
        await services.perform(number, action, actor, department_id=department, body="进展")
        case = await Case.objects().where(Case.number == number).first()
        assert case.status == (transition.to_state or state).value
        assert await TimelineEntry.count() == entries_before + 1
    else:
        with pytest.raises(ActionRefused) as refused:
            await services.perform(number, action, actor, department_id=department)
        assert refused.value.status == 409
        assert await TimelineEntry.count() == entries_before


REFUSED_ROLES = [(action, role) for action in sorted(TRANSITIONS) for role in Role if role not in TRANSITIONS[action].roles]


@pytest.mark.parametrize("action, role", REFUSED_ROLES, ids=lambda v: getattr(v, "value", v))
async def test_roles_outside_the_table_are_refused(settings, categories, action, role):
    number = await filed_case(settings, categories)
    with pytest.raises(ActionRefused) as refused:
        await services.perform(number, action, Actor(role))
    assert refused.value.status == 403


async def test_unknown_case_and_action(settings, categories):
    with pytest.raises(ActionRefused) as refused:
        await services.perform("2026-999999", "accept", MODERATOR)
    assert refused.value.status == 404
    with pytest.raises(ActionRefused) as refused:
        await services.perform("2026-999999", "teleport", MODERATOR)
    assert refused.value.status == 409


async def test_assignment_needs_a_real_department(settings, categories):
    number = await filed_case(settings, categories)
    await services.perform(number, "accept", MODERATOR)
    for department_id in (None, 999999):
        with pytest.raises(ActionRefused) as refused:
            await services.perform(number, "assign", MODERATOR, department_id=department_id)
        assert refused.value.status == 409


async def test_a_case_is_public_only_once_accepted_and_if_the_filer_agreed(settings, categories):
    public = await filed_case(settings, categories)
    private = await filed_case(settings, categories, publication="private")
    assert await services.public_case(public) is None
    for number in (public, private):
        await services.perform(number, "accept", MODERATOR)
    assert await services.public_case(private) is None
    view = await services.public_case(public)
    assert view.status == "accepted" and view.published_at is not None
    assert [case.number for case in (await services.public_cases()).cases] == [public]


async def test_rejection_reason_is_for_the_filer_only(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await services.perform(filed.number, "reject", MODERATOR, body="不属于本平台受理范围")
    assert await services.public_case(filed.number) is None
    follow = await services.case_for_follow_token(filed.follow_token)
    assert [(e.action, e.visibility, e.body) for e in follow.timeline][-1] == (
        "reject", "filer", "不属于本平台受理范围",
    )


async def test_public_timeline_shows_public_entries_in_order(settings, categories):
    number = await filed_case(settings, categories)
    await bring_to(number, Status.in_progress, categories["water"].department)
    view = await services.public_case(number)
    assert [e.action for e in view.timeline] == ["submit", "accept", "assign", "sign", "post_progress"]
    assert view.department_name == "市自来水公司"


async def test_keyset_pages_cover_every_public_case_once(settings, categories):
    numbers = []
    for _ in range(45):
        number = await filed_case(settings, categories)
        await services.perform(number, "accept", MODERATOR)
        numbers.append(number)
    seen, cursor = [], None
    while True:
        page = await services.public_cases(cursor=cursor, page_size=20)
        seen += [case.number for case in page.cases]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(numbers))
    with pytest.raises(services.BadCursor):
        await services.public_cases(cursor="not-a-cursor")
