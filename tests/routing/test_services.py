"""Routing rules through the services: saving (overlaps refused, audit-logged), the suggestion
for a case (its area, or its map point among the areas' boundaries), taking it with the ``route``
action, automatic routing when a case is filed, and the return rate per rule."""

from __future__ import annotations

import json

import pytest

from backend.accounts.tables import AuditEvent
from backend.cases import workflow
from backend.cases.actions import Assign, Publish, Return, Route
from backend.cases.services import AWAITING_PUBLICATION, Actor, staff_case, staff_cases
from backend.cases.tables import Case, CoHandler, TimelineEntry
from backend.departments import boundaries
from backend.departments.services import area_form, update_area
from backend.errors import Forbidden, InvalidInput, NotFound, WrongState
from backend.notifications import subscriptions
from backend.notifications.notices import Notice
from backend.notifications.tables import Message
from backend.routing import services
from backend.routing.services import OVERLAPPING, RoutingError, RuleForm
from backend.routing.tables import RuleRouting
from backend.vocabulary import PUBLIC_STATUSES, Role
from tests.cases.test_filing import file, form
from tests.routing.helpers import ADMIN, rule

MODERATOR = Actor(Role.moderator)
METRE = 1 / 111_195  # about one metre of latitude, in degrees


def square(west, south, east, north) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]})


async def with_boundary(area_id: int, boundary: str) -> None:
    form = await area_form(area_id)
    form.boundary = boundary
    await update_area(area_id, form, actor=ADMIN)


@pytest.fixture
async def mapped(areas):
    """Jingxiu district with Dongfeng street as its south-west quarter."""
    await with_boundary(areas["jingxiu"], square(115.40, 38.80, 115.50, 38.90))
    await with_boundary(areas["dongfeng"], square(115.40, 38.80, 115.45, 38.85))
    return areas


async def filed(settings, category, **overrides) -> str:
    return (await file(settings, form(category, **overrides))).number


async def case_row(number: str) -> dict:
    return await Case.select().where(Case.number == number).first()


async def test_rules_are_saved_in_order_and_audit_logged(categories, areas):
    roads = categories["roads"]
    first = await rule(roads.department, roads.id)
    second = await rule(roads.department, roads.id, areas["jingxiu"], co=[categories["water"].department], automatic=True)
    views = await services.rule_views()
    assert [view.id for view in views] == [first, second]
    assert views[1].area_name == "竞秀区" and views[1].co_handlers[0][1] == "市自来水公司" and views[1].automatic
    assert views[1].reason_zh == f"规则 {second}：道路 在 竞秀区"
    assert views[0].reason_zh == f"规则 {first}：道路 在 全市"
    logged = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
    assert [row["action"] for row in logged][-2:] == ["routing_rule_created", "routing_rule_created"]
    assert f"rule {second}: category={roads.id}, area={areas['jingxiu']}" in logged[-1]["detail"]


async def test_overlapping_and_bad_rules_are_refused(categories, areas):
    roads = categories["roads"]
    await rule(roads.department, roads.id, areas["jingxiu"])
    with pytest.raises(RoutingError) as refused:
        await rule(categories["water"].department, roads.id, areas["jingxiu"])
    assert refused.value.errors == {"area_id": OVERLAPPING}
    anywhere = await rule(roads.department)
    with pytest.raises(RoutingError) as refused:
        await rule(roads.department)
    assert refused.value.errors == {"area_id": OVERLAPPING}
    # Changing a rule into another's category and area is an overlap too; saving it as it is is not.
    own = await services.rule_view(anywhere)
    await services.save_rule(anywhere, own.form(), actor=ADMIN)
    moved = own.form()
    moved.category_id, moved.area_id = str(roads.id), str(areas["jingxiu"])
    with pytest.raises(RoutingError):
        await services.save_rule(anywhere, moved, actor=ADMIN)
    bad = RuleForm(category_id="x", area_id="99999", department_id="", co_department_ids=("1", "abc"), automatic="yes")
    with pytest.raises(RoutingError) as refused:
        await services.save_rule(None, bad, actor=ADMIN)
    assert set(refused.value.errors) == {"category_id", "area_id", "department_id", "co_department_ids"}
    with pytest.raises(RoutingError) as refused:
        await services.save_rule(None, RuleForm(department_id=str(roads.department), area_id=str(areas["lianchi"]), automatic="yes"), actor=ADMIN)
    assert set(refused.value.errors) == {"automatic"}
    with pytest.raises(RoutingError) as refused:
        await services.save_rule(123456, RuleForm(department_id=str(roads.department)), actor=ADMIN)
    assert refused.value.kind is NotFound


async def test_rules_move_and_are_deleted(categories, areas):
    roads = categories["roads"]
    ids = [await rule(roads.department, roads.id, area) for area in (areas["jingxiu"], areas["lianchi"], areas["dongfeng"])]
    await services.move_rule(ids[2], later=False, actor=ADMIN)
    assert [view.id for view in await services.rule_views()] == [ids[0], ids[2], ids[1]]
    await services.move_rule(ids[0], later=False, actor=ADMIN)  # first already: nothing moves
    assert [view.id for view in await services.rule_views()] == [ids[0], ids[2], ids[1]]
    await services.delete_rule(ids[2], actor=ADMIN)
    assert [view.id for view in await services.rule_views()] == [ids[0], ids[1]]
    with pytest.raises(RoutingError):
        await services.delete_rule(ids[2], actor=ADMIN)
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions[-2:] == ["routing_rule_moved", "routing_rule_deleted"]


async def test_the_suggestion_follows_the_case_s_area_and_the_most_specific_rule(settings, categories, areas):
    roads = categories["roads"]
    city = await rule(roads.department, roads.id)
    district = await rule(categories["water"].department, roads.id, areas["jingxiu"])
    in_street = await filed(settings, roads, area_id=str(areas["dongfeng"]))
    elsewhere = await filed(settings, roads, area_id=str(areas["lianchi"]))
    water = await filed(settings, categories["water"], area_id=str(areas["dongfeng"]))
    found = await services.suggestions_by_number([in_street, elsewhere, water])
    assert found[in_street].rule.id == district and not found[in_street].flagged
    assert found[elsewhere].rule.id == city
    assert water not in found  # no rule for water


async def test_a_map_point_finds_its_street_and_near_a_boundary_is_flagged(settings, categories, mapped):
    roads = categories["roads"]
    street = await rule(roads.department, roads.id, mapped["dongfeng"])
    district = await rule(categories["water"].department, roads.id, mapped["jingxiu"])
    # Filed in Lianchi, but its point lies in Dongfeng: the point decides.
    inside = await filed(settings, roads, area_id=str(mapped["lianchi"]), latitude="38.82", longitude="115.42")
    north = await filed(settings, roads, latitude="38.88", longitude="115.48")
    near = await filed(settings, roads, latitude=str(round(38.85 + 30 * METRE, 6)), longitude="115.42")
    outside = await filed(settings, roads, area_id=str(mapped["dongfeng"]), latitude="39.5", longitude="116.5")
    found = await services.suggestions_by_number([inside, north, near, outside])
    assert (found[inside].rule.id, found[inside].area_id, found[inside].flagged) == (street, mapped["dongfeng"], False)
    assert (found[north].rule.id, found[north].flagged) == (district, False)
    assert (found[near].rule.id, found[near].flagged) == (district, True)
    assert (found[outside].rule.id, found[outside].area_id) == (street, None)  # no boundary holds it: its area


async def test_the_map_is_built_again_when_an_area_changes(mapped):
    before = await boundaries.area_map()
    assert before is await boundaries.area_map()  # kept while nothing changes
    assert before.locate(38.82, 115.42).area_id == mapped["dongfeng"]
    await with_boundary(mapped["dongfeng"], square(115.46, 38.86, 115.49, 38.89))
    after = await boundaries.area_map()
    assert after is not before
    assert after.locate(38.82, 115.42).area_id == mapped["jingxiu"]
    form = await area_form(mapped["dongfeng"])
    form.active = ""
    await update_area(mapped["dongfeng"], form, actor=ADMIN)
    assert (await boundaries.area_map()).locate(38.87, 115.47).area_id == mapped["jingxiu"]  # inactive: not on the map


async def test_a_moderator_takes_the_suggestion_in_one_action(settings, categories, mapped):
    roads, water = categories["roads"], categories["water"]
    rule_id = await rule(roads.department, roads.id, mapped["dongfeng"], co=[water.department])
    number = await filed(settings, roads, latitude="38.82", longitude="115.42")
    await workflow.perform(number, Route(rule_id=rule_id), MODERATOR)
    case = await case_row(number)
    assert (case["status"], case["department"], case["area"]) == ("assigned", roads.department, mapped["dongfeng"])
    assert case["published_at"] is not None and case["answer_due_at"] is not None  # public, clocks running
    assert [row["department"] for row in await CoHandler.select().where(CoHandler.case == case["id"])] == [water.department]
    entry = await TimelineEntry.select().where(TimelineEntry.case == case["id"], TimelineEntry.action == "route").first()
    assert entry["body"] == f"规则 {rule_id}：道路 在 东风街道" and entry["actor_role"] == "moderator"
    routed = await RuleRouting.select().where(RuleRouting.case == case["id"])
    assert [(row["rule"], row["department"], row["automatic"]) for row in routed] == [(rule_id, roads.department, False)]


async def test_a_suggestion_that_changed_or_none_is_refused(settings, categories, areas):
    roads = categories["roads"]
    number = await filed(settings, roads, area_id=str(areas["dongfeng"]))
    with pytest.raises(InvalidInput):
        await workflow.perform(number, Route(), MODERATOR)  # no rule fits
    old = await rule(roads.department, roads.id)
    await rule(categories["water"].department, roads.id, areas["jingxiu"])  # more specific since
    with pytest.raises(InvalidInput):
        await workflow.perform(number, Route(rule_id=old), MODERATOR)
    assert (await case_row(number))["status"] == "submitted"


async def test_an_automatic_rule_routes_a_new_case_as_the_system(settings, categories, mapped):
    roads = categories["roads"]
    rule_id = await rule(roads.department, roads.id, automatic=True)
    number = await filed(settings, roads, latitude="38.82", longitude="115.42")
    case = await case_row(number)
    assert (case["status"], case["department"]) == ("assigned", roads.department)
    entries = await TimelineEntry.select(TimelineEntry.action, TimelineEntry.actor_role, TimelineEntry.body).where(
        TimelineEntry.case == case["id"]
    ).order_by(TimelineEntry.id)
    assert [(row["action"], row["actor_role"]) for row in entries] == [("submit", "citizen"), ("route", "system")]
    assert entries[1]["body"] == f"规则 {rule_id}：道路 在 全市"
    assert (await RuleRouting.select(RuleRouting.automatic).first())["automatic"] is True
    # Handled at once, but public only once a moderator has read it (its filer agreed).
    assert case["published_at"] is None and case["answer_due_at"] is not None
    waiting = await staff_cases(set(PUBLIC_STATUSES), where=AWAITING_PUBLICATION)
    assert [view.number for view in waiting] == [number] and (await staff_case(number)).awaiting_publication
    await workflow.perform(number, Publish(), MODERATOR)
    assert (await case_row(number))["published_at"] is not None and not (await staff_case(number)).awaiting_publication
    assert await staff_cases(set(PUBLIC_STATUSES), where=AWAITING_PUBLICATION) == []
    with pytest.raises(WrongState):
        await workflow.perform(number, Publish(), MODERATOR)
    # Near a boundary, the case waits for a person; so does one of another category.
    near = await filed(settings, roads, latitude=str(round(38.85 + 20 * METRE, 6)), longitude="115.42")
    other = await filed(settings, categories["water"])
    assert (await case_row(near))["status"] == (await case_row(other))["status"] == "submitted"
    # The system may not take a suggestion that is not automatic.
    with pytest.raises(Forbidden):
        await workflow.perform(near, Route(rule_id=rule_id), Actor(Role.system))
    assert (await case_row(near))["status"] == "submitted"


async def test_the_return_rate_counts_cases_the_department_returned(settings, categories, areas):
    roads, water = categories["roads"], categories["water"]
    rule_id = await rule(roads.department, roads.id)
    handler = Actor(Role.handler, "市政设施管理处", roads.department)
    numbers = [await filed(settings, roads) for _ in range(3)]
    for number in numbers:
        await workflow.perform(number, Route(rule_id=rule_id), MODERATOR)
    await workflow.perform(numbers[0], Return(text="不属于我单位职责"), handler)
    # Assigned again by hand to another department, which returns it too: not the rule's doing.
    await workflow.perform(numbers[0], Assign(department_id=water.department), MODERATOR)
    await workflow.perform(numbers[0], Return(text="也不是我们"), Actor(Role.handler, "市自来水公司", water.department))
    rates = {rate.rule.id: rate for rate in await services.return_rates()}
    assert (rates[rule_id].routed, rates[rule_id].returned, rates[rule_id].automatic) == (3, 1, 0)
    assert rates[rule_id].rate == pytest.approx(1 / 3)
    unused = await rule(water.department, water.id)
    assert (await services.return_rates())[-1].rule.id == unused and (await services.return_rates())[-1].rate is None


async def test_a_routed_case_is_news_for_the_filer_as_an_assignment_is(settings, categories):
    roads = categories["roads"]
    rule_id = await rule(roads.department, roads.id)
    filed_case = await file(settings, form(roads))
    subscription_id = await subscriptions.subscribe_email(filed_case.follow_token, "filer@example.com", "zh_CN")
    await subscriptions.verify_email(subscriptions.signed("verify", subscription_id))
    await workflow.perform(filed_case.number, Route(rule_id=rule_id), MODERATOR)
    events = [row["event"] for row in await Message.select(Message.event).where(Message.subscription == subscription_id)]
    assert Notice.assigned.value in events
