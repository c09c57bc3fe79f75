"""The lifecycle table: who may do what, from which state, and what the public then sees."""

from __future__ import annotations

import pytest

from datetime import timedelta

from backend import clock
from backend.cases import services, workflow
from backend.cases.browse import CaseFilter, browse
from backend.cases.lifecycle import PHOTO_ACTIONS, TRANSITIONS, Role, Scope, Status
from backend.photos import services as photos
from backend.photos.pipeline import Region
from backend.cases.services import ActionRefused, Actor
from backend.cases.workflow import Details
from backend.departments.services import ensure_department
from backend.accounts.tables import Account
from backend.cases.tables import Case, TimelineEntry
from tests.cases.test_filing import file, form
from tests.people import invite
from tests.support import jpeg

MODERATOR = Actor(Role.moderator, "")
WATER = "市自来水公司"


def handler_of(department_id: int) -> Actor:
    return Actor(Role.handler, WATER, department_id)


async def leader() -> Actor:
    """A leader with an account (taking charge of a case names them on it)."""
    found = await Account.select(Account.id).where(Account.role == "leader").first()
    account_id = found["id"] if found else (await invite("leader", "市领导")).account_id
    return Actor(Role.leader, "", account_id=account_id)


async def actor_for(action: str, department_id: int) -> Actor:
    roles = TRANSITIONS[action].roles
    if Role.moderator in roles:
        return MODERATOR
    if Role.handler in roles:
        return handler_of(department_id)
    if Role.leader in roles:
        return await leader()
    return Actor(next(iter(roles)))  # the filer (through the follow link) or the system


async def filed_case(settings, categories, **overrides) -> str:
    return (await file(settings, form(categories["water"], **overrides))).number


# The shortest way to each state, as (action, details) steps.
PATHS = {
    Status.submitted: [],
    Status.accepted: ["accept"],
    Status.rejected: ["reject"],
    Status.duplicate: ["mark_duplicate"],
    Status.assigned: ["accept", "assign"],
    Status.signed: ["accept", "assign", "sign"],
    Status.in_progress: ["accept", "assign", "sign", "post_progress"],
    Status.returned: ["accept", "assign", "return"],
    Status.replied: ["accept", "assign", "sign", "draft_reply", "approve"],
    Status.rated: ["accept", "assign", "sign", "draft_reply", "approve", "rate_satisfied"],
    Status.unsatisfied: ["accept", "assign", "sign", "draft_reply", "approve", "rate_unsatisfied"],
    Status.closed: ["accept", "assign", "sign", "draft_reply", "approve", "rate_unsatisfied", "close"],
}
REACHABLE = list(PATHS)


async def details_for(action: str, number: str, department_id: int, settings, categories) -> Details:
    if action == "assign":
        return Details(department_id=department_id)
    if action == "escalate":  # from the department the paths assign to, to another one
        return Details(department_id=await _other_department())
    if action == "mark_duplicate":
        return Details(duplicate_of=await filed_case(settings, categories, title="同一个问题的另一次反映"))
    if action == "redact":
        return Details(title="已删去个人信息的标题")
    if action == "request_extension":
        return Details(due_at=clock.now() + timedelta(days=10))
    if action == "rate_satisfied":
        return Details(satisfaction="basically_satisfied", solved="partly")
    if action == "rate_unsatisfied":
        return Details(satisfaction="satisfied", solved="no")
    if action == "close_unrated":
        return Details(replied_before=clock.now())
    if action in PHOTO_ACTIONS:
        key = await photo_of(number, settings)
        return Details(photo_key=key, region=Region.checked(0.1, 0.1, 0.3, 0.2) if action == "black_out_photo" else None)
    return Details()


async def _other_department() -> int:
    """A department no path assigns to, to escalate to."""
    return (await ensure_department("市城市管理综合执法局", "City Management Bureau", "urban")).id


async def photo_of(number: str, settings) -> str:
    """A photo filed with the case (added the way a filing adds it)."""
    uploaded = await photos.upload_photo(jpeg(), settings.media_dir)
    case = await Case.select(Case.id).where(Case.number == number).first()
    await photos.attach_to_case([uploaded.key], case["id"])
    return uploaded.key


async def bring_to(number: str, status: Status, department_id: int, settings=None, categories=None) -> None:
    for action in PATHS[status]:
        if action == "approve":
            pending = await TimelineEntry.select(TimelineEntry.id).where(TimelineEntry.review == "pending").first()
            await workflow.review(pending["id"], "approve", MODERATOR)
            continue
        actor = await actor_for(action, department_id)
        details = await details_for(action, number, department_id, settings, categories)
        await workflow.perform(number, action, actor, body="说明", details=details)


async def prepare(action: str, number: str, department_id: int, details: Details) -> None:
    """What an action needs beyond the state: an extension request to answer, a photo to show
    again or to restore."""
    if action in ("grant_extension", "refuse_extension"):
        await workflow.perform(
            number, "request_extension", handler_of(department_id), body="需要更换管道", details=Details(due_at=clock.now() + timedelta(days=10))
        )
    if action == "show_photo":
        await workflow.perform(number, "hide_photo", MODERATOR, details=details)
    if action == "restore_photo":
        await workflow.perform(number, "black_out_photo", MODERATOR, details=Details(photo_key=details.photo_key, region=Region.checked(0, 0, 0.5, 0.5)))


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("state", REACHABLE, ids=lambda s: s.value)
async def test_every_action_in_every_state(settings, categories, action, state):
    """Table-driven: allowed from its from-states, 409 from every other state, and always one
    timeline entry more or none."""
    department = categories["water"].department
    number = await filed_case(settings, categories)
    await bring_to(number, state, department, settings, categories)
    transition = TRANSITIONS[action]
    actor = await actor_for(action, department)
    details = await details_for(action, number, department, settings, categories)
    if state in transition.from_states:
        await prepare(action, number, department, details)
        entries_before = await TimelineEntry.count()
        await workflow.perform(number, action, actor, details=details, body="进展")
        case = await Case.objects().where(Case.number == number).first()
        assert case.status == (transition.to_state or state).value
        assert await TimelineEntry.count() == entries_before + 1
    else:
        entries_before = await TimelineEntry.count()
        with pytest.raises(ActionRefused) as refused:
            await workflow.perform(number, action, actor, details=details, body="进展")
        assert refused.value.status == 409
        assert await TimelineEntry.count() == entries_before


REFUSED_ROLES = [(action, role) for action in sorted(TRANSITIONS) for role in Role if role not in TRANSITIONS[action].roles]


@pytest.mark.parametrize("action, role", REFUSED_ROLES, ids=lambda v: getattr(v, "value", v))
async def test_roles_outside_the_table_are_refused(settings, categories, action, role):
    number = await filed_case(settings, categories)
    with pytest.raises(ActionRefused) as refused:
        await workflow.perform(number, action, Actor(role), body="x")
    assert refused.value.status == 403


@pytest.mark.parametrize("action", sorted(a for a, t in TRANSITIONS.items() if t.needs_text))
async def test_actions_that_need_text_refuse_without_it(settings, categories, action):
    department = categories["water"].department
    number = await filed_case(settings, categories)
    transition = TRANSITIONS[action]
    state = next(state for state in REACHABLE if state in transition.from_states)
    await bring_to(number, state, department, settings, categories)
    actor = await actor_for(action, department)
    with pytest.raises(ActionRefused) as refused:
        await workflow.perform(number, action, actor, body="  \n ")
    assert refused.value.status == 422


@pytest.mark.parametrize("action", sorted(a for a, t in TRANSITIONS.items() if t.scope != Scope.none))
async def test_departments_act_only_on_their_own_cases(settings, categories, action):
    water, roads = categories["water"].department, categories["roads"].department
    number = await filed_case(settings, categories)
    transition = TRANSITIONS[action]
    state = next(state for state in REACHABLE if state in transition.from_states and state != Status.submitted)
    await bring_to(number, state, water, settings, categories)
    details = await details_for(action, number, water, settings, categories)
    with pytest.raises(ActionRefused) as refused:
        await workflow.perform(number, action, Actor(Role.handler, "市政设施管理处", roads), body="x", details=details)
    assert refused.value.status == 403


async def test_unknown_case_and_action(settings, categories):
    with pytest.raises(ActionRefused) as refused:
        await workflow.perform("2026-999999", "accept", MODERATOR)
    assert refused.value.status == 404
    with pytest.raises(ActionRefused) as refused:
        await workflow.perform("2026-999999", "teleport", MODERATOR)
    assert refused.value.status == 409


async def test_assignment_needs_a_real_department(settings, categories):
    number = await filed_case(settings, categories)
    await workflow.perform(number, "accept", MODERATOR)
    for department_id in (None, 999999):
        with pytest.raises(ActionRefused) as refused:
            await workflow.perform(number, "assign", MODERATOR, details=Details(department_id=department_id))
        assert refused.value.status == 409


async def test_a_case_is_public_only_once_accepted_and_if_the_filer_agreed(settings, categories):
    public = await filed_case(settings, categories)
    private = await filed_case(settings, categories, publication="private")
    assert await services.public_case(public) is None
    for number in (public, private):
        await workflow.perform(number, "accept", MODERATOR)
    assert await services.public_case(private) is None
    view = await services.public_case(public)
    assert view.status == "accepted" and view.published_at is not None
    assert [case.number for case in (await browse(CaseFilter())).cases] == [public]


async def test_rejection_reason_is_for_the_filer_only(settings, categories):
    filed = await file(settings, form(categories["water"]))
    await workflow.perform(filed.number, "reject", MODERATOR, body="不属于本平台受理范围")
    assert await services.public_case(filed.number) is None
    follow = await services.case_for_follow_token(filed.follow_token)
    assert [(e.action, e.visibility, e.body) for e in follow.timeline][-1] == (
        "reject", "filer", "不属于本平台受理范围",
    )


async def test_public_timeline_shows_public_entries_in_order(settings, categories):
    number = await filed_case(settings, categories)
    await bring_to(number, Status.in_progress, categories["water"].department)
    view = await services.public_case(number)
    # The progress post waits for a moderator before the public sees it.
    assert [e.action for e in view.timeline] == ["submit", "accept", "assign", "sign"]
    pending = (await workflow.pending_reviews())[0]
    await workflow.review(pending.entry_id, "approve", MODERATOR)
    view = await services.public_case(number)
    assert [e.action for e in view.timeline] == ["submit", "accept", "assign", "sign", "post_progress"]
    assert view.department_name == "市自来水公司"
