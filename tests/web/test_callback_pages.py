"""Callbacks and the escalation ladder over HTTP: the centre's queue, recording a callback on the
staff case page, a department's
dispute, and the admins' ladder; bad input answered with a message and the form kept."""

from __future__ import annotations

from datetime import timedelta

from backend.cases.tables import Case, RatingDispute
from tests.cases.test_callbacks import WEDNESDAY, answered
from tests.cases.test_supervision import tick


async def english(person, role: str):
    someone = await person(role)
    someone.client.headers["accept-language"] = "en"
    return someone


async def test_the_centre_calls_back_from_its_queue(person, settings, categories):
    number, _ = await answered(settings, categories, "hotline")
    await tick(WEDNESDAY + timedelta(minutes=1))
    moderator = await english(person, "moderator")
    queue = await moderator.client.get("/moderation/callbacks")
    assert queue.status_code == 200 and number in queue.text and "Taken by phone" in queue.text
    page = await moderator.client.get(f"/staff/cases/{number}")
    assert 'id="action-record_callback"' in page.text
    assert 'id="action-record_callback_unsatisfied"' not in page.text  # chosen by the answer, no form of its own
    refused = await moderator.post_form(f"/staff/cases/{number}/record_callback", {"satisfaction": "satisfied", "body": "市民说还行"})
    assert refused.status_code == 422
    assert "Say how satisfied the filer is" in refused.text and "市民说还行" in refused.text  # kept as typed
    done = await moderator.post_form(f"/staff/cases/{number}/record_callback", {"satisfaction": "unsatisfied", "solved": "partly", "body": "仍有漏水"})
    assert done.status_code == 303
    assert (await Case.select(Case.status).where(Case.number == number).first())["status"] == "unsatisfied"
    assert number not in (await moderator.client.get("/moderation/callbacks")).text
    assert number in (await moderator.client.get("/moderation")).text  # the unsatisfied cases


async def test_a_department_disputes_a_callbacks_rating_on_its_case_page(person, settings, categories):
    number, _ = await answered(settings, categories, "mailbox")
    moderator = await person("moderator")
    await moderator.post_form(f"/staff/cases/{number}/record_callback", {"satisfaction": "basically_satisfied", "solved": "partly"})
    # The decision's forms are offered only while a dispute waits for it.
    assert 'id="action-uphold_dispute"' not in (await moderator.client.get(f"/staff/cases/{number}")).text
    handler = await person("handler", department_id=categories["water"].department)
    assert (await handler.post_form(f"/staff/cases/{number}/dispute_rating", {"body": " "})).status_code == 422
    assert (await handler.post_form(f"/staff/cases/{number}/dispute_rating", {"body": "已全部修复"})).status_code == 303
    assert number in (await moderator.client.get("/moderation/callbacks")).text
    waiting = (await moderator.client.get(f"/staff/cases/{number}")).text
    assert 'id="action-uphold_dispute"' in waiting and 'id="action-reject_dispute"' in waiting
    assert (await moderator.post_form(f"/staff/cases/{number}/uphold_dispute")).status_code == 303
    assert 'id="action-uphold_dispute"' not in (await moderator.client.get(f"/staff/cases/{number}")).text
    assert (await RatingDispute.select(RatingDispute.status).first())["status"] == "upheld"
    assert (await handler.post_form(f"/staff/cases/{number}/uphold_dispute")).status_code == 403


async def test_the_admins_ladder_refuses_bad_hours_and_keeps_them(person):
    admin = await english(person, "admin")
    page = await admin.client.get("/admin/escalation")
    assert page.status_code == 200 and "leaders after 8 working hours overdue" in page.text
    refused = await admin.post_form("/admin/escalation", {"case_type": "complaint", "leader_after_hours": "9999"})
    assert refused.status_code == 422 and "from 1 to 2000" in refused.text and 'value="9999"' in refused.text
    huge = await admin.post_form("/admin/escalation", {"case_type": "x" * 5000, "leader_after_hours": "１"})
    assert huge.status_code == 422
    saved = await admin.post_form("/admin/escalation", {"case_type": "complaint", "leader_after_hours": "12"})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/escalation#step-complaint"
    assert "leaders after 12 working hours overdue" in (await admin.client.get("/admin/escalation")).text
