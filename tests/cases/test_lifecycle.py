"""The lifecycle table: who may do what, from which state, and what the public then sees."""

from __future__ import annotations

import pytest

from datetime import timedelta
from types import SimpleNamespace

from backend import clock
from backend.cases import actions, services, workflow
from backend.cases.browse import CaseFilter, browse
from backend.vocabulary import CaseType, Role, Scope, Status
from backend.cases.lifecycle import NOT_FOR_SUGGESTIONS, PHOTO_ACTIONS, SUGGESTION_ACTIONS, TRANSITIONS, fits_case_type, moves_forward, refusal
from backend.cases.permissions import actions_for, available_actions
from backend.photos import services as photos
from backend.cases.services import Actor
from backend.departments.services import ensure_department
from backend.accounts.tables import Account
from backend.cases.tables import Case, Rating, TimelineEntry
from backend.errors import Forbidden, Refusal, WrongState
from backend.web.errors import status_of
from tests.cases.test_filing import file, form
from tests.knowledge.helpers import entry as knowledge_entry
from tests.people import invite
from tests.routing.helpers import rule as routing_rule
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


# The shortest way to each state, as steps (each action with what ``inputs_for`` gives it).
PATHS = {
    Status.submitted: [],
    Status.accepted: ["accept"],
    Status.rejected: ["reject"],
    Status.duplicate: ["mark_duplicate"],
    Status.withdrawn: ["withdraw"],
    Status.assigned: ["accept", "assign"],
    Status.signed: ["accept", "assign", "sign"],
    Status.in_progress: ["accept", "assign", "sign", "post_progress"],
    Status.returned: ["accept", "assign", "return"],
    Status.replied: ["accept", "assign", "sign", "draft_reply", "approve"],
    Status.rated: ["accept", "assign", "sign", "draft_reply", "approve", "rate_satisfied"],
    Status.unsatisfied: ["accept", "assign", "sign", "draft_reply", "approve", "rate_unsatisfied"],
    Status.closed: ["accept", "assign", "sign", "draft_reply", "approve", "rate_unsatisfied", "close"],
    Status.merged: ["accept", "merge"],
}
REACHABLE = list(PATHS)


def kind_of_case(action: str) -> str:
    """A kind of case the action is for: a complaint where it may be."""
    kinds = TRANSITIONS[action].case_types
    return CaseType.complaint.value if CaseType.complaint in kinds else min(kinds).value


async def filed_for(action: str, settings, categories) -> str:
    """A case of a kind the action is for (a consultation, for the centre's direct answers)."""
    return await filed_case(settings, categories, case_type=kind_of_case(action))


async def inputs_for(action: str, number: str, department_id: int, settings, categories, text: str = "") -> actions.ActionInput:
    """The action's input, with what it needs to go through on a case in one of its states."""
    kind = actions.INPUTS[action]
    if action == "assign":
        return kind(text=text, department_id=department_id)
    if action == "route":  # a rule for the case's category, to the department the paths assign to
        case = await Case.select(Case.category).where(Case.number == number).first()
        return kind(text=text, rule_id=await routing_rule(department_id, case["category"]))
    if action == "escalate":  # from the department the paths assign to, to another one
        return kind(text=text, department_id=await _other_department())
    if action == "mark_duplicate":
        return kind(text=text, duplicate_of=await filed_case(settings, categories, title="同一个问题的另一次反映"))
    if action == "merge":  # into a case it repeats, still being handled
        original = await filed_case(settings, categories, title="同一个问题的首次反映")
        await workflow.perform(original, "accept", MODERATOR)
        return kind(text=text, original=original)
    if action == "redact":
        return kind(text=text, title="已删去个人信息的标题")
    if action == "request_extension":
        return kind(text=text, due_date=(clock.now() + timedelta(days=10)).date())
    if action == "rate_satisfied":
        return kind(text=text, satisfaction="basically_satisfied", solved="partly")
    if action == "rate_unsatisfied":
        return kind(text=text, satisfaction="satisfied", solved="no")
    if action == "record_callback":
        return kind(text=text, satisfaction="satisfied", solved="yes")
    if action == "record_callback_unsatisfied":
        return kind(text=text, satisfaction="basically_satisfied", solved="no")
    if action == "close_unrated":
        return kind(text=text, replied_before=clock.now())
    if action == "answer_from_knowledge":
        return kind(text=text, knowledge_entry_id=await knowledge_entry())
    if action == "black_out_photo":
        key = await photo_of(number, settings)
        return kind(text=text, photo_key=key, region_x=10, region_y=10, region_width=30, region_height=20)
    if action in PHOTO_ACTIONS:
        return kind(text=text, photo_key=await photo_of(number, settings))
    return kind(text=text)


async def _other_department() -> int:
    """A department no path assigns to, to escalate to."""
    return (await ensure_department("市城市管理综合执法局", "City Management Bureau", "urban")).id


async def photo_of(number: str, settings) -> str:
    """A photo filed with the case (added the way a filing adds it)."""
    uploaded = await photos.upload_photo(jpeg())
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
        await workflow.perform(number, await inputs_for(action, number, department_id, settings, categories, "说明"), actor)


async def prepare(number: str, department_id: int, inputs: actions.ActionInput) -> None:
    """What an action needs beyond the state: an extension request to answer, a rating to
    dispute, a text nobody has read yet, a photo to show again or to restore."""
    if inputs.action in ("grant_extension", "refuse_extension"):
        asked = actions.RequestExtension(text="需要更换管道", due_date=(clock.now() + timedelta(days=10)).date())
        await workflow.perform(number, asked, handler_of(department_id))
    if inputs.action in ("dispute_rating", "uphold_dispute", "reject_dispute"):
        # A rating to dispute: the filer's, or else what they said on a callback.
        if not await Rating.exists().where(Rating.case.number == number):
            await workflow.perform(number, actions.RecordCallback(satisfaction="basically_satisfied", solved="partly"), MODERATOR)
        if inputs.action != "dispute_rating":
            await workflow.perform(number, actions.DisputeRating(text="评价与事实不符"), handler_of(department_id))
    if inputs.action == "publish":  # as an automatic routing rule leaves it: handled, read by nobody
        await Case.update({Case.published_at: None}).where(Case.number == number)
    if inputs.action == "show_photo":
        await workflow.perform(number, actions.HidePhoto(photo_key=inputs.photo_key), MODERATOR)
    if inputs.action == "restore_photo":
        blacked = actions.BlackOutPhoto(photo_key=inputs.photo_key, region_x=0, region_y=0, region_width=50, region_height=50)
        await workflow.perform(number, blacked, MODERATOR)


# -- The rule: whether an action is allowed is a pure function of (role, status, scope, case
# type), ``lifecycle.refusal``, which ``workflow.perform`` asks; here as a table of pure calls.

EVERY_STATUS = list(Status)  # the draft included: nothing but the representatives' own steps
CASE_TYPES = [case_type.value for case_type in CaseType]


def proper_role(action: str) -> Role:
    """The role ``actor_for`` acts in."""
    roles = TRANSITIONS[action].roles
    for role in (Role.moderator, Role.handler, Role.leader):
        if role in roles:
            return role
    return next(iter(roles))


def test_refusal_by_state_and_kind_of_case():
    """Allowed from its from-states, 409 from every other state; every kind of case refuses the
    actions not for it in every state (a citizen's case those of representatives' suggestions,
    a suggestion those of citizens' cases, a complaint the centre's direct answer)."""
    wrong = {}
    for action, transition in TRANSITIONS.items():
        for status in EVERY_STATUS:
            for case_type in CASE_TYPES:
                expected = None if status in transition.from_states and fits_case_type(action, case_type) else WrongState
                got = refusal(action, proper_role(action), status, Scope.lead, case_type)
                if (got and got[0]) != expected:
                    wrong[action, status.value, case_type] = got
            # Without a kind of case (the staff pages' list of actions), the state alone decides.
            got = refusal(action, proper_role(action), status, Scope.lead, "")
            if (got is None) != (status in transition.from_states):
                wrong[action, status.value, ""] = got
    assert wrong == {}


def test_refusal_by_role():
    """A role outside the table is refused (403) whatever the case: before its state is known
    (``perform`` asks before reading the case) and in every state."""
    wrong = {}
    for action, role in REFUSED_ROLES:
        for status in [None, *EVERY_STATUS]:
            for scope in (Scope.lead, Scope.handling, None):
                got = refusal(action, role, status, scope, "complaint")
                if got is None or got[0] is not Forbidden:
                    wrong[action, role.value, status and status.value, scope] = got
    for action, transition in TRANSITIONS.items():
        for role in transition.roles:
            if refusal(action, role) is not None:  # the role alone: allowed
                wrong[action, role.value] = refusal(action, role)
    assert wrong == {}


def test_refusal_by_department():
    """A handler acts only on its department's cases: a co-handling (协办) department does what
    the table allows it, only the lead (主办) the rest, other departments nothing (403).
    Other roles are not asked about departments."""
    wrong = {}
    for action, transition in TRANSITIONS.items():
        status = next(iter(sorted(transition.from_states)))
        for role in transition.roles:
            for scope in (Scope.lead, Scope.handling, None):
                got = refusal(action, role, status, scope, kind_of_case(action))
                if role != Role.handler or transition.scope == Scope.none or scope == Scope.lead:
                    expected = None
                elif scope == Scope.handling and transition.scope == Scope.handling:
                    expected = None
                else:
                    expected = Forbidden
                if (got and got[0]) != expected:
                    wrong[action, role.value, scope] = got
                if expected is Forbidden:  # and the message says why
                    only_lead = scope == Scope.handling
                    assert ("lead department" in got[1]) == only_lead, (action, scope, got)
    assert wrong == {}


def test_a_row_that_restores_the_status_names_none_of_its_own():
    restoring = [action for action, row in TRANSITIONS.items() if row.restores]
    assert restoring == ["unmerge"]
    assert all(TRANSITIONS[action].to_state is None for action in restoring)


def test_refusal_order_and_unknown_actions():
    assert refusal("teleport", Role.moderator) == (WrongState, "This action does not exist.")
    assert refusal("teleport", Role.citizen, Status.submitted, None, "complaint")[0] is WrongState
    # The role before the state, the state before the department, the department before the kind.
    assert refusal("sign", Role.moderator, Status.closed, Scope.lead, "complaint")[0] is Forbidden
    assert refusal("sign", Role.handler, Status.closed, None, "complaint")[0] is WrongState
    assert refusal("record_meeting", Role.handler, Status.signed, None, "complaint")[0] is Forbidden
    assert refusal("record_meeting", Role.handler, Status.signed, Scope.lead, "complaint")[0] is WrongState
    assert refusal("record_meeting", Role.handler, Status.signed, Scope.handling, "representative") is None


def test_staff_pages_offer_exactly_what_the_rule_allows():
    for role in (*Role, "admin"):
        for status in EVERY_STATUS:
            for scope in (Scope.lead, Scope.handling, None):
                for case_type in ["", *CASE_TYPES]:
                    offered = actions_for(getattr(role, "value", role), status, scope, case_type)
                    allowed = [] if role == "admin" else [
                        action for action in TRANSITIONS if refusal(action, role, status, scope, case_type) is None
                    ]
                    assert offered == allowed, (role, status, scope, case_type)


def test_available_actions_are_what_the_rule_allows_the_actor_on_the_case():
    """``available_actions(case, actor)``, which the staff page and the API offer: the handler's
    department stands to the case as its lead, a co-handler or not at all; the decision on a
    disputed rating only while a dispute waits, publishing only while a text waits to be read."""
    ours, theirs = 1, 2
    standings = {Scope.lead: (ours, []), Scope.handling: (theirs, [ours]), None: (theirs, [])}
    for role in Role:
        for status in EVERY_STATUS:
            for scope, (lead, co) in standings.items():
                for case_type in CASE_TYPES:
                    for disputed in (False, True):
                        case = SimpleNamespace(
                            case=SimpleNamespace(status=status.value, case_type=case_type), department_id=lead, co_handler_ids=co,
                            dispute_pending=disputed, awaiting_publication=disputed,
                        )
                        actor = Actor(role, "", ours if role == Role.handler else None)
                        standing = scope if role == Role.handler else None
                        allowed = [
                            action for action in TRANSITIONS
                            if refusal(action, role, status, standing, case_type) is None
                            and (disputed or action not in ("uphold_dispute", "reject_dispute", "publish"))
                        ]
                        assert available_actions(case, actor) == allowed, (role, status, scope, case_type, disputed)


def test_the_next_likely_steps_follow_the_usual_path_from_the_table():
    """What the staff case page's action bar offers first (``lifecycle.moves_forward``): steps
    that meet a clock or take the case further along its usual way, never a turning off it."""
    def likely(role: str, status: Status, case_type: str = "complaint") -> list[str]:
        return [action for action in actions_for(role, status, Scope.lead, case_type) if moves_forward(action, status)]

    assert likely("moderator", Status.submitted) == ["accept", "route"]
    assert likely("moderator", Status.accepted) == ["assign", "route"]
    assert likely("moderator", Status.returned) == ["assign"]
    assert likely("moderator", Status.unsatisfied) == ["reopen", "close"]
    assert likely("handler", Status.assigned) == ["sign"]
    assert likely("handler", Status.signed) == ["record_contact", "post_progress", "draft_reply"]
    assert likely("handler", Status.signed, "representative") == ["post_progress", "draft_reply", "record_meeting", "record_call"]
    for action in ("reject", "mark_duplicate", "return", "request_extension", "post_internal_note", "supervise", "instruct"):
        assert not any(moves_forward(action, status) for status in TRANSITIONS[action].from_states), action


# -- ``workflow.perform`` honours the rule, on the database ----------------------------------

ALLOWED = [
    (action, state)
    for action in sorted(TRANSITIONS)
    for state in REACHABLE
    if state in TRANSITIONS[action].from_states and action not in SUGGESTION_ACTIONS
]


@pytest.mark.parametrize("action, state", ALLOWED, ids=lambda v: getattr(v, "value", v))
async def test_every_action_from_each_of_its_states(settings, categories, action, state):
    """Allowed from its from-states: the status it goes to, and exactly one timeline entry more."""
    department = categories["water"].department
    number = await filed_for(action, settings, categories)
    await bring_to(number, state, department, settings, categories)
    transition = TRANSITIONS[action]
    actor = await actor_for(action, department)
    inputs = await inputs_for(action, number, department, settings, categories, "进展")
    await prepare(number, department, inputs)
    entries_before = await TimelineEntry.count()
    await workflow.perform(number, inputs, actor)
    case = await Case.objects().where(Case.number == number).first()
    before = next(s for s, path in PATHS.items() if path == PATHS[state][:-1]) if transition.restores else None
    assert case.status == (transition.to_state or before or state).value
    assert await TimelineEntry.count() == entries_before + 1


@pytest.mark.parametrize("state", REACHABLE, ids=lambda s: s.value)
async def test_every_action_refused_outside_its_states(settings, categories, state):
    """From every other state 409, and no timeline entry more: each action in turn on one case
    brought to the state (a refused action changes nothing, so the next one meets it as it was).
    A citizen's case: the actions of representatives' suggestions are refused in every state
    (tests/representatives takes them through their own cases)."""
    department = categories["water"].department
    number = await filed_case(settings, categories)
    await bring_to(number, state, department, settings, categories)
    refused_here = [
        action for action in sorted(TRANSITIONS)
        if state not in TRANSITIONS[action].from_states or action in SUGGESTION_ACTIONS
    ]
    assert refused_here
    for action in refused_here:
        actor = await actor_for(action, department)
        inputs = await inputs_for(action, number, department, settings, categories, "进展")
        entries_before = await TimelineEntry.count()
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, inputs, actor)
        assert status_of(refused.value) == 409, action
        assert await TimelineEntry.count() == entries_before, action
        case = await Case.objects().where(Case.number == number).first()
        assert case.status == state.value, action


REFUSED_ROLES = [(action, role) for action in sorted(TRANSITIONS) for role in Role if role not in TRANSITIONS[action].roles]


async def test_roles_outside_the_table_are_refused(settings, categories):
    """Every action, as every role outside its row of the table: 403."""
    number = await filed_case(settings, categories)
    for action, role in REFUSED_ROLES:
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, action, Actor(role), body="x")
        assert status_of(refused.value) == 403, (action, role)


def _first_state(action: str, *, submitted: bool = True) -> Status:
    transition = TRANSITIONS[action]
    return next(s for s in REACHABLE if s in transition.from_states and (submitted or s != Status.submitted))


NEEDS_TEXT = sorted(a for a, t in TRANSITIONS.items() if t.needs_text)
TEXT_STATES = sorted({_first_state(a) for a in NEEDS_TEXT}, key=REACHABLE.index)


@pytest.mark.parametrize("state", TEXT_STATES, ids=lambda s: s.value)
async def test_actions_that_need_text_refuse_without_it(settings, categories, state):
    """Each action that needs a text, on a case in the first state it may be taken from: 422
    when the text is only white space."""
    department = categories["water"].department
    number = await filed_case(settings, categories)
    await bring_to(number, state, department, settings, categories)
    for action in [a for a in NEEDS_TEXT if _first_state(a) == state]:
        actor = await actor_for(action, department)
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, action, actor, body="  \n ")
        assert status_of(refused.value) == 422, action


SCOPED = sorted(a for a, t in TRANSITIONS.items() if t.scope != Scope.none)
SCOPED_STATES = sorted({_first_state(a, submitted=False) for a in SCOPED}, key=REACHABLE.index)


@pytest.mark.parametrize("state", SCOPED_STATES, ids=lambda s: s.value)
async def test_departments_act_only_on_their_own_cases(settings, categories, state):
    """Each department action, on a case of another department in the first state (after
    submission) it may be taken from: 403."""
    water, roads = categories["water"].department, categories["roads"].department
    number = await filed_case(settings, categories)
    await bring_to(number, state, water, settings, categories)
    for action in [a for a in SCOPED if _first_state(a, submitted=False) == state]:
        inputs = await inputs_for(action, number, water, settings, categories, "x")
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, inputs, Actor(Role.handler, "市政设施管理处", roads))
        assert status_of(refused.value) == 403, action


async def test_unknown_case_and_action(settings, categories):
    with pytest.raises(Refusal) as refused:
        await workflow.perform("2026-999999", "accept", MODERATOR)
    assert status_of(refused.value) == 404
    with pytest.raises(Refusal) as refused:
        await workflow.perform("2026-999999", "teleport", MODERATOR)
    assert status_of(refused.value) == 409


async def test_assignment_needs_a_real_department(settings, categories):
    number = await filed_case(settings, categories)
    await workflow.perform(number, "accept", MODERATOR)
    for department_id in (None, 999999):
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, actions.Assign(department_id=department_id), MODERATOR)
        assert status_of(refused.value) == 409


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
