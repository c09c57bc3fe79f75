"""Staff hear of their work: a handler adds this device on their account page, and each case
assigned (or sent back) to their department shows there, linking to the staff case page; the
other departments' handlers hear nothing of it, and the filer's delivery log does not list it."""

from __future__ import annotations

import json

from backend.notifications.tables import Message, StaffSubscription
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.notifications.test_delivery import deliver


async def add_this_device(handler, push) -> dict:
    browser = push.subscribe()
    added = await handler.client.post(
        "/account/notifications/push", content=json.dumps(browser).encode(), headers={"content-type": "application/json"}
    )
    assert added.status_code == 201 and added.json()["message"] == "This device will show the new work of your department."
    return browser


async def test_handlers_hear_of_new_work_for_their_department_only(person, channels, settings, categories):
    _, _, push = channels
    water = await person("handler", department_id=categories["water"].department)
    roads = await person("handler", department_id=categories["roads"].department)
    mine, theirs = await add_this_device(water, push), await add_this_device(roads, push)
    page = (await water.client.get("/account/notifications")).text
    assert "Push on a device: 127.0.0.1" in page and mine["endpoint"] not in page  # the push service, never the endpoint

    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    await deliver()
    [news] = push.received
    assert news["endpoint"] == mine["endpoint"] and news["url"] == f"http://localhost:8000/staff/cases/{filed.number}"
    assert news["title"] == f"Case {filed.number}: New work" and news["body"] == f"Case {filed.number} is now your department's to handle."
    assert theirs["endpoint"] not in {p["endpoint"] for p in push.received}

    moderator = await person("moderator")
    log = (await moderator.client.get(f"/staff/cases/{filed.number}")).text
    assert 'id="deliveries"' not in log, "the filer's log lists no staff news"


async def test_a_handler_removes_only_their_own_devices(person, channels, settings, categories):
    _, _, push = channels
    water = await person("handler", department_id=categories["water"].department)
    roads = await person("handler", department_id=categories["roads"].department)
    await add_this_device(water, push), await add_this_device(roads, push)
    [mine, theirs] = await StaffSubscription.select(StaffSubscription.id).order_by(StaffSubscription.id).output(as_list=True)
    assert (await water.post_form(f"/account/notifications/{theirs}/remove")).status_code == 303
    assert await StaffSubscription.count() == 2
    assert (await water.post_form(f"/account/notifications/{mine}/remove")).status_code == 303
    assert await StaffSubscription.select(StaffSubscription.id).output(as_list=True) == [theirs]
    assert (await water.post_form("/account/notifications/nonsense/remove")).status_code == 400  # not an id (RowId)
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, categories["water"].department)
    assert await Message.count() == 0


async def test_only_handlers_have_the_page(person):
    moderator = await person("moderator")
    assert (await moderator.client.get("/account/notifications")).status_code == 403
