"""Following a public case without an account (a supporter, a neighbour): by email (confirmed
first) or on this device, from the case's public page; the follower hears of the answer and the
closing only, with links to the public page; a case not public cannot be followed; the
filer's page and the staff's delivery log never show followers."""

from __future__ import annotations

import json
import re

from backend.cases import actions, workflow
from backend.notifications import subscriptions
from backend.notifications.tables import Subscription
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import MODERATOR, bring_to, handler_of
from tests.notifications.test_delivery import deliver, text_of
from tests.notifications.test_pages import SAME_SITE

EN = {"accept-language": "en", **SAME_SITE}


async def test_a_follower_hears_of_the_answer_and_the_closing_only(channels, client, person, settings, categories):
    smtp, _, push = channels
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    case_page = (await client.get(f"/cases/{filed.number}", headers=EN)).text
    assert f'href="/cases/{filed.number}/notifications"' in case_page
    page = await client.get(f"/cases/{filed.number}/notifications", headers=EN)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store" and "answered and when it is closed" in page.text
    refused = await client.post(f"/cases/{filed.number}/notifications/email", data={"email": "邻居"}, headers=EN)
    assert refused.status_code == 422 and "name@example.com" in refused.text and 'value="邻居"' in refused.text
    added = await client.post(f"/cases/{filed.number}/notifications/email", data={"email": "Neighbour@Example.com"}, headers=EN)
    assert added.status_code == 303 and added.headers["location"] == f"/cases/{filed.number}/notifications?added=email"
    await deliver()
    [check] = smtp.messages
    assert (await client.get(re.search(r"http://localhost:8000(/notifications/verify/\S+)", text_of(check)).group(1))).status_code == 200
    smtp.raw.clear()
    await subscriptions.follow_by_push(filed.number, json.dumps(push.subscribe()), "en")
    await subscriptions.subscribe_email(filed.follow_token, "filer@example.com", "en")  # the filer's own: not confirmed, gets only its check

    water = categories["water"].department
    await workflow.perform(filed.number, actions.Assign(department_id=water), MODERATOR)
    await workflow.perform(filed.number, "sign", handler_of(water))
    await workflow.review(await workflow.perform(filed.number, "draft_reply", handler_of(water), body="已修复"), "approve", MODERATOR)
    await workflow.perform_for_filer(filed.follow_token, actions.RateSatisfied(satisfaction="satisfied", solved="yes"))
    await deliver()
    to_neighbour = [m for m in smtp.messages if m["To"] == "neighbour@example.com"]
    assert [m["Subject"] for m in to_neighbour] == [f"Case {filed.number}: Answered", f"Case {filed.number}: Closed"]
    assert f"http://localhost:8000/cases/{filed.number}" in text_of(to_neighbour[0])
    assert "/follow/" not in text_of(to_neighbour[0])  # never the filer's private link
    assert to_neighbour[0]["List-Unsubscribe"]
    assert [p["title"] for p in push.received] == [f"Case {filed.number}: Answered", f"Case {filed.number}: Closed"]

    follow_page = (await client.get(f"/follow/{filed.follow_token}/notifications", headers=EN)).text
    assert "n***@example.com" not in follow_page and "f***@example.com" in follow_page
    moderator = await person("moderator")
    staff_page = (await moderator.client.get(f"/staff/cases/{filed.number}", headers={"accept-language": "en"})).text
    assert "f***@example.com" in staff_page and "n***@example.com" not in staff_page  # the filer's deliveries alone


async def test_only_a_public_case_can_be_followed(channels, client, settings, categories):
    private = await file(settings, form(categories["water"], publication="private"))
    await bring_to(private.number, Status.accepted, categories["water"].department)
    submitted = await file(settings, form(categories["water"]))
    for number in (private.number, submitted.number, "2026-999999"):
        assert (await client.get(f"/cases/{number}/notifications")).status_code == 404
        assert (await client.post(f"/cases/{number}/notifications/email", data={"email": "a@example.com"}, headers=SAME_SITE)).status_code == 404
    assert (await client.get("/cases/not-a-number/notifications")).status_code in (400, 404)
    assert await Subscription.count() == 0


async def test_following_twice_follows_once_and_the_filers_limit_is_the_filers(channels, settings, categories):
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.accepted, categories["water"].department)
    first = await subscriptions.follow_by_email(filed.number, "a@example.com", "zh-CN")
    assert await subscriptions.follow_by_email(filed.number, " A@example.com ", "zh-CN") == first
    for n in range(12):  # more followers than a filer may have subscriptions
        await subscriptions.follow_by_email(filed.number, f"n{n}@example.com", "zh-CN")
    assert await subscriptions.subscribe_email(filed.follow_token, "a@example.com", "zh-CN") != first  # the filer's own
    assert [view.masked for view in await subscriptions.of_follow_token(filed.follow_token)] == ["a***@example.com"]
