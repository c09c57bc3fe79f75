"""The knowledge base in the JSON API: the public answers, and the centre's direct answer."""

from __future__ import annotations

from datetime import timedelta

from backend.cases import workflow
from backend.knowledge import services
from backend.vocabulary import Status
from tests.cases.test_filing import file, form
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)
from tests.cases.test_lifecycle import bring_to, handler_of
from tests.knowledge.helpers import entry, template


async def test_public_answers_are_searched_and_read(client):
    found = await entry(question_en="How do I get a residence permit?", answer_en="At the police station.")
    expired = await entry(question="旧的居住证办法", answer="旧办法已经废止，不再适用。", valid_until=(services.today() - timedelta(days=1)).isoformat())
    searched = (await client.get("/api/v1/answers", params={"q": "居住证"})).json()
    assert [item["id"] for item in searched["answers"]] == [found] and searched["more"] is False
    one = await client.get(f"/api/v1/answers/{found}")
    assert one.status_code == 200 and one.json()["answer_en"] == "At the police station." and one.json()["url"] == f"/answers/{found}"
    assert (await client.get(f"/api/v1/answers/{expired}")).status_code == 404
    assert (await client.get("/api/v1/answers", params={"q": "x" * 201})).status_code == 400


async def test_a_moderator_key_answers_a_consultation_from_an_entry(client, api_key, settings, categories):
    entry_id = await entry()
    filed = await file(settings, form(categories["water"], case_type="consultation"))
    url = f"/api/v1/staff/cases/{filed.number}/actions/answer_from_knowledge"
    refused = await client.post(url, json={"knowledge_entry_id": 999999}, headers=bearer(await api_key("moderator")))
    assert refused.status_code == 422
    staff = await client.post(url, json={"knowledge_entry_id": entry_id}, headers=bearer(await api_key(f"staff:{categories['water'].department}")))
    assert staff.status_code in (403, 404)
    done = await client.post(url, json={"knowledge_entry_id": entry_id}, headers=bearer(await api_key("moderator")))
    assert done.status_code == 200 and done.json()["status"] == "replied"
    report = (await client.get("/api/v1/departments/figures", params={"period": "week"})).json()
    assert (report["contacts"], report["answered_directly"]) == (1, 1)


async def test_the_review_queue_in_the_api_names_the_template_a_reply_only_repeats(client, api_key, settings, categories):
    water = categories["water"].department
    number = (await file(settings, form(categories["water"], filer_name="王女士"))).number
    await bring_to(number, Status.signed, water)
    await template(body="{filer}您好，您反映的问题已办结。")
    await workflow.perform(number, "draft_reply", handler_of(water), body="王女士您好，您反映的问题已办结。")
    queue = (await client.get("/api/v1/staff/reviews", headers=bearer(await api_key("moderator")))).json()
    assert [item["repeats_template"] for item in queue] == ["已处理完毕"]
