"""Staff search as a service: who sees which cases, each filter, the sorts and keyset pages, the
search by phone for whom it is for, and the saved views."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend import clock
from backend.accounts import audit
from backend.accounts.audit import AuditAction, Who
from backend.cases import staff_search
from backend.cases.browse import BadFilter
from backend.cases.services import Actor
from backend.cases.staff_search import Sort, StaffFilter, StatusGroup
from backend.cases.tables import Case, CoHandler
from backend.errors import Forbidden, NotFound
from backend.vocabulary import Role, Status
from tests.cases.test_browse import DAY_1, publish
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to

LEADER = Actor(Role.leader)


def handler(department_id: int) -> Actor:
    return Actor(Role.handler, "", department_id)


async def co_handle(number: str, department_id: int) -> None:
    case = await Case.select(Case.id).where(Case.number == number).first()
    await CoHandler.insert(CoHandler(case=case["id"], department=department_id))


async def found(viewer: Actor, sort: Sort = Sort.newest, **params) -> list[str]:
    return [case.number async for case in staff_search.each_case(viewer, StaffFilter.from_params(params), sort)]


@pytest.fixture
async def cases(settings, categories, areas):
    """A water complaint assigned to the water company (day 1, public), a roads complaint left
    new and private (day 2, filed by phone 139 0000 1111 on the hotline), a suggestion closed
    as a duplicate (day 3), and a representative's draft (which no staff search shows)."""
    water, roads = categories["water"], categories["roads"]
    assigned = await publish(settings, water, area=areas["dongfeng"], department=water.department, title="路口水管爆裂")
    with clock.travel_to(DAY_1 + timedelta(days=1)):
        private = (await file(settings, form(roads, title="路面塌陷严重", publication="private", filer_phone="139 0000 1111"))).number
    await Case.update({Case.source: "hotline"}).where(Case.number == private)
    advice = await publish(settings, categories["advice"], at=DAY_1 + timedelta(days=2), area=areas["lianchi"], case_type="suggestion",
        title="建议增设公交站", description="希望在小区门口增设一个公交站点。", address="东风路")
    await Case.update({Case.status: Status.duplicate.value}).where(Case.number == advice)
    draft = (await file(settings, form(roads, title="代表建议草稿"))).number
    await Case.update({Case.status: Status.draft.value}).where(Case.number == draft)
    return {"assigned": assigned, "private": private, "duplicate": advice, "draft": draft, "water": water.department, "roads": roads.department}


async def test_each_role_sees_what_its_lists_show(cases):
    everything = [cases["duplicate"], cases["private"], cases["assigned"]]  # newest first, no draft
    assert await found(MODERATOR) == everything
    assert await found(LEADER) == everything
    assert await found(handler(cases["water"])) == [cases["assigned"]]
    assert await found(handler(cases["roads"])) == []  # nothing assigned to it yet
    for nobody in (Actor(Role.representative), Actor(Role.citizen), Actor(Role.handler, "", None)):
        with pytest.raises(Forbidden):
            await found(nobody)


async def test_a_co_handling_department_finds_the_case_too(cases):
    await co_handle(cases["assigned"], cases["roads"])
    assert await found(handler(cases["roads"])) == [cases["assigned"]]


async def test_each_filter(cases, areas):
    assigned, private, duplicate = cases["assigned"], cases["private"], cases["duplicate"]
    expectations = [
        ({"q": assigned}, [assigned]),
        ({"q": private}, [private]),  # a number finds a case that is not public
        ({"q": "2026-999999"}, []),
        ({"q": "水管"}, [assigned]),  # the words of public cases
        ({"type": "suggestion"}, [duplicate]),
        ({"category": "roads"}, [private]),
        ({"department": "water"}, [assigned]),
        ({"area": "jingxiu"}, [assigned]),  # a district with its streets
        ({"area": "dongfeng"}, [assigned]),
        ({"status": "with_department"}, [assigned]),
        ({"status": "moderation"}, [private]),
        ({"status": "finished"}, [duplicate]),
        ({"status": "not_finished"}, [private, assigned]),
        ({"status": "duplicate"}, [duplicate]),
        ({"from": "2026-11-03"}, [duplicate, private]),
        ({"to": "2026-11-03"}, [private, assigned]),
        ({"from": "2026-11-03", "to": "2026-11-03"}, [private]),
        ({"channel": "hotline"}, [private]),
        ({"channel": "web"}, [duplicate, assigned]),
        ({"flag": "supervised"}, []),
        ({"department": "water", "status": "finished"}, []),
    ]
    for params, expected in expectations:
        assert await found(MODERATOR, **params) == expected, params


async def test_overdue_and_supervised(cases):
    await Case.update({Case.answer_overdue_at: clock.now(), Case.overdue_at: clock.now()}).where(Case.number == cases["assigned"])
    await Case.update({Case.overdue_at: clock.now(), Case.supervised_at: clock.now()}).where(Case.number == cases["duplicate"])
    assert await found(MODERATOR, flag="overdue") == [cases["assigned"]]  # a clock overdue and running
    assert await found(MODERATOR, flag="late") == [cases["duplicate"], cases["assigned"]]
    assert await found(MODERATOR, flag="supervised") == [cases["duplicate"]]


async def test_the_phone_is_for_the_centre_and_the_lead_department(cases):
    assert await found(MODERATOR, phone="13800138000") == [cases["duplicate"], cases["assigned"]]
    assert await found(MODERATOR, phone="139 0000 1111") == [cases["private"]]  # as typed
    assert await found(MODERATOR, phone="13900001111") == []  # typed with spaces: found as typed only
    assert await found(handler(cases["water"]), phone="13800138000") == [cases["assigned"]]
    await co_handle(cases["assigned"], cases["roads"])
    assert await found(handler(cases["roads"])) == [cases["assigned"]]
    assert await found(handler(cases["roads"]), phone="13800138000") == []  # co-handling: no contact
    with pytest.raises(Forbidden):
        await found(LEADER, phone="13800138000")
    by_phone, centre = StaffFilter.from_params({"phone": "13800138000"}), Who(None, "Centre")
    page = await staff_search.search(MODERATOR, by_phone, limit=1, who=centre)
    assert all(not hasattr(view, "filer_phone") and not hasattr(view, "filer_name") for view in page.cases)
    # Recorded for the admins as a reveal is: who, the number masked, the cases it found (more
    # to come: …); the searches above named nobody (checks), and a later page is the same search.
    await staff_search.search(MODERATOR, by_phone, cursor=page.next_cursor, limit=1, who=centre)
    entries = await audit.recent(action=AuditAction.searched_by_phone)
    assert [(entry.actor_name, entry.detail) for entry in entries] == [("Centre", f"138****8000 · {cases['duplicate']} …")]


async def test_bad_input_names_its_parameter():
    bad = {
        "phone": "12",
        "status": "draft",
        "flag": "late-ish",
        "channel": "fax",
        "from": "2026-13-01",
        "type": "complaints",
        "q": "x" * 101,
        "area": "../etc",
    }
    with pytest.raises(BadFilter) as refused:
        StaffFilter.from_params(bad)
    assert set(refused.value.errors) == set(bad)
    with pytest.raises(BadFilter) as reversed_range:
        StaffFilter.from_params({"from": "2026-11-05", "to": "2026-11-01"})
    assert set(reversed_range.value.errors) == {"to"}
    with pytest.raises(BadFilter):
        staff_search.parse_sort("title")


async def test_unknown_names_and_damaged_cursors_are_refused(cases):
    with pytest.raises(BadFilter):
        await found(MODERATOR, category="nothing")
    for cursor in ("garbage", "bmV3ZXN0LjEuMQ", staff_search._encode_cursor(Sort.due, None, 5)):
        with pytest.raises(BadFilter):
            await staff_search.search(MODERATOR, StaffFilter(), Sort.newest, cursor)


async def test_keyset_pages_neither_repeat_nor_skip(settings, categories):
    water = categories["water"]
    numbers = [(await file(settings, form(water, title=f"第{n}件案件"))).number for n in range(7)]
    assigned = numbers[1::2]
    for number in assigned:
        await bring_to(number, Status.assigned, water.department)
    # Due dates in an order of their own: the deadline sort follows them, then the cases without.
    for offset, number in enumerate(reversed(assigned)):
        await Case.update({Case.answer_due_at: DAY_1 + timedelta(hours=offset)}).where(Case.number == number)
    expected = {
        Sort.newest: numbers[::-1],
        Sort.oldest: numbers,
        Sort.due: [*reversed(assigned), *[number for number in numbers if number not in assigned]],
    }
    # A group of statuses (all of them here) is read a status at a time and merged: the same pages.
    for sort, order in expected.items():
        for staff_filter in (StaffFilter(), StaffFilter(status=StatusGroup.not_finished)):
            seen, cursor = [], None
            while True:
                page = await staff_search.search(MODERATOR, staff_filter, sort, cursor, limit=2)
                seen += [case.number for case in page.cases]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert seen == order, (sort, staff_filter)
    # A case filed while someone pages comes first in the newest sort: the next page does not repeat.
    first = await staff_search.search(MODERATOR, StaffFilter(), Sort.newest, limit=3)
    await file(settings, form(water, title="新来的案件"))
    second = await staff_search.search(MODERATOR, StaffFilter(), Sort.newest, first.next_cursor, limit=3)
    assert [case.number for case in second.cases] == numbers[::-1][3:6]


async def test_saved_views_are_each_persons_own(person, cases):
    moderator, other = await person("moderator"), await person("moderator")
    overdue = StaffFilter.from_params({"flag": "overdue", "department": "water"})
    saved = await staff_search.save_view(moderator.account_id, "  供水超时  ", overdue, Sort.due)
    assert saved.name == "供水超时" and saved.query == "department=water&flag=overdue&sort=due"
    again = await staff_search.save_view(moderator.account_id, "供水超时", StaffFilter(), Sort.newest)  # replaces it
    assert again.id == saved.id and again.query == ""
    assert [view.name for view in await staff_search.saved_views(moderator.account_id)] == ["供水超时"]
    assert await staff_search.saved_views(other.account_id) == []
    with pytest.raises(NotFound):
        await staff_search.delete_view(other.account_id, saved.id)
    await staff_search.delete_view(moderator.account_id, saved.id)
    assert await staff_search.saved_views(moderator.account_id) == []


async def test_a_view_keeps_no_phone_and_has_a_name(person):
    moderator = await person("moderator")
    for name, staff_filter in [("", StaffFilter()), ("x" * 61, StaffFilter()), ("电话", StaffFilter(phone="13800138000"))]:
        with pytest.raises(staff_search.BadView):
            await staff_search.save_view(moderator.account_id, name, staff_filter, Sort.newest)
    for n in range(staff_search.VIEWS_MAX):
        await staff_search.save_view(moderator.account_id, f"view {n}", StaffFilter(), Sort.newest)
    with pytest.raises(staff_search.BadView):
        await staff_search.save_view(moderator.account_id, "one more", StaffFilter(), Sort.newest)
