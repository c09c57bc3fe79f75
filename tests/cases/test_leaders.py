"""Supervision by hand, leaders' instructions and escalation: the services with their refusals,
and the leader's overview over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.cases import actions, services, workflow
from backend.vocabulary import Role, Status
from backend.cases.services import Actor
from backend.cases.tables import Case, CoHandler, TimelineEntry
from backend.errors import Refusal
from backend.web.errors import status_of
from tests.cases.test_clocks import MODERATOR, assigned_case, at, clocks_of
from tests.cases.test_lifecycle import bring_to, filed_case, leader
from tests.cases.test_supervision import ANSWER_DUE, TUESDAY, tick


async def test_moderators_and_leaders_supervise_with_a_note_others_may_not(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    for someone in (handler, Actor(Role.citizen)):
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, "supervise", someone, body="请尽快办理")
        assert status_of(refused.value) == 403
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "supervise", MODERATOR, body=" ")
    assert status_of(refused.value) == 422
    with clock.travel_to(TUESDAY + timedelta(hours=1)):
        await workflow.perform(number, actions.Supervise(text="请今天下班前答复", internal=True), await leader())
    row = await Case.select(Case.supervised_at).where(Case.number == number).first()
    assert row["supervised_at"] == TUESDAY + timedelta(hours=1)
    public = await services.public_case(number)
    assert "supervise" not in [entry.action for entry in public.timeline]  # kept for staff, as asked
    staff = (await services.staff_case(number)).case
    assert staff.timeline[-1].action == "supervise" and staff.timeline[-1].body == "请今天下班前答复"


async def test_an_instruction_appears_on_the_timeline_publicly_or_for_staff(settings, categories):
    number = await filed_case(settings, categories)
    await bring_to(number, Status.in_progress, categories["water"].department)
    boss = await leader()
    await workflow.perform(number, "instruct", boss, body="请市水务局牵头，三日内彻底解决。")
    await workflow.perform(number, actions.Instruct(text="内部：注意与住建部门协调。", internal=True), boss)
    public = await services.public_case(number)
    assert [(e.action, e.body) for e in public.timeline if e.action == "instruct"] == [("instruct", "请市水务局牵头，三日内彻底解决。")]
    staff = (await services.staff_case(number)).case
    assert [e.visibility for e in staff.timeline if e.action == "instruct"] == ["public", "internal"]
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "instruct", MODERATOR, body="x")
    assert status_of(refused.value) == 403


async def test_escalation_hands_the_lead_to_another_department_and_the_answer_clock_runs_on(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    roads = categories["roads"].department
    with clock.travel_to(TUESDAY + timedelta(minutes=5)):
        await workflow.perform(number, "sign", handler)
    case = await Case.objects().where(Case.number == number).first()
    await CoHandler.insert(CoHandler(case=case.id, department=roads))  # co-handling until escalated
    boss = await leader()
    for same_missing_or_none in (categories["water"].department, 999999, None):
        with pytest.raises(Refusal) as refused:
            await workflow.perform(number, actions.Escalate(text="提级办理", department_id=same_missing_or_none), boss)
        assert status_of(refused.value) == 422
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, actions.Escalate(text="提级办理", department_id=roads), MODERATOR)
    assert status_of(refused.value) == 403
    moment = at(2026, 11, 18, 14, 0)
    with clock.travel_to(moment):
        await workflow.perform(number, actions.Escalate(text="多次反映未解决，由市政设施管理处牵头。", department_id=roads), boss)
    row = await clocks_of(number)
    assert row["answer_due_at"] == ANSWER_DUE and row["first_assigned_at"] == TUESDAY  # runs on
    assert row["sign_due_at"] == moment + timedelta(minutes=15) and row["signed_at"] is None  # the new lead signs
    case = await Case.objects().where(Case.number == number).first()
    assert (case.department, case.status) == (roads, "assigned")
    assert await CoHandler.count().where(CoHandler.case == case.id) == 0  # the new lead is no co-handler
    public = await services.public_case(number)
    assert public.timeline[-1].action == "escalate" and public.department_name == "市政设施管理处"
    # The water company no longer handles it.
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "post_internal_note", handler, body="x")
    assert status_of(refused.value) == 403


async def test_a_leader_takes_charge_and_the_department_keeps_handling(settings, categories):
    number, handler = await assigned_case(settings, categories, TUESDAY)
    boss = await leader()
    await workflow.perform(number, "take_charge", boss, body="我来包案，每天报告进展。")
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "take_charge", boss, body="again")
    assert status_of(refused.value) == 409
    case = await Case.objects().where(Case.number == number).first()
    assert case.leader == boss.account_id and case.department == categories["water"].department
    assert (await services.staff_case(number)).leader_name == "市领导"
    await workflow.perform(number, "sign", handler)  # the department still does the work
    with pytest.raises(Refusal) as refused:
        await workflow.perform(number, "draft_reply", boss, body="已解决")
    assert status_of(refused.value) == 403  # a leader directs; the department answers


async def test_the_leaders_overview_lists_overdue_supervised_returned_and_their_own(person, settings, categories):
    overdue, _ = await assigned_case(settings, categories, TUESDAY)
    returned, handler = await assigned_case(settings, categories, at(2026, 11, 17, 11, 0))
    await workflow.perform(returned, "return", handler, body="不属于我单位")
    await tick(ANSWER_DUE + timedelta(minutes=1))
    leader_person = await person("leader", name="王市长")
    mine, _ = await assigned_case(settings, categories, clock.now() - timedelta(minutes=1))
    response = await leader_person.post_form(f"/staff/cases/{mine}/take_charge", {"body": "我来包案"})
    assert response.status_code == 303
    page = await leader_person.client.get("/leader")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    sections = {
        name: page.text.split(f'id="{name}-heading"')[1].split("</section>")[0]
        for name in ("overdue", "supervised", "returned", "charge")
    }
    assert overdue in sections["overdue"] and returned in sections["overdue"]  # its answer clock ran on
    assert overdue in sections["supervised"] and "supervised" in sections["supervised"]
    assert returned in sections["returned"] and overdue not in sections["returned"]
    assert mine in sections["charge"] and overdue not in sections["charge"]
    # The instruction form on a case, over HTTP; an empty one is refused with the text kept.
    refused = await leader_person.post_form(f"/staff/cases/{overdue}/instruct", {"body": " ", "internal": "true"})
    assert refused.status_code == 422
    done = await leader_person.post_form(f"/staff/cases/{overdue}/instruct", {"body": "请本周内办结", "internal": "true"})
    assert done.status_code == 303
    entry = await TimelineEntry.select(TimelineEntry.visibility, TimelineEntry.actor_role).where(TimelineEntry.action == "instruct").first()
    assert entry == {"visibility": "internal", "actor_role": "leader"}


async def test_overdue_cases_show_in_the_department_and_moderation_queues(person, settings, categories):
    number, _ = await assigned_case(settings, categories, TUESDAY)
    await tick(ANSWER_DUE + timedelta(minutes=1))
    moderator = await person("moderator")
    queue = await moderator.client.get("/moderation")
    overdue_part = queue.text.split('id="overdue-heading"')[1]
    assert number in overdue_part and "badge-supervised" in overdue_part
    handler = await person("handler", department_id=categories["water"].department)
    workspace = await handler.client.get("/department")
    assert "badge-overdue" in workspace.text and "badge-supervised" in workspace.text
    response = await moderator.post_form(f"/staff/cases/{number}/supervise", {"body": "再次督办：请立即答复", "internal": "false"})
    assert response.status_code == 303
