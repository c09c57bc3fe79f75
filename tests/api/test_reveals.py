"""The staff API's view of the filer's contact details: masked, revealed for a reason."""

from __future__ import annotations

from backend.accounts.tables import AuditEvent
from backend.cases.tables import CoHandler, TimelineEntry
from backend.vocabulary import Status
from tests.cases.test_lifecycle import bring_to, filed_case
from tests.cases.test_reveals import NAME, PHONE
from tests.keys import bearer


async def test_the_api_masks_and_reveals_for_a_reason(client, api_key, settings, categories):
    number = await filed_case(settings, categories, filer_name=NAME, filer_phone=PHONE)
    await bring_to(number, Status.assigned, categories["water"].department)
    case_id = (await TimelineEntry.select(TimelineEntry.case).first())["case"]
    await CoHandler.insert(CoHandler(case=case_id, department=categories["roads"].department))
    lead = bearer(await api_key(f"staff:{categories['water'].department}"))
    co = bearer(await api_key(f"staff:{categories['roads'].department}"))
    base = f"/api/v1/staff/cases/{number}"
    seen = (await client.get(base, headers=lead)).json()
    assert (seen["filer_name"], seen["filer_phone"]) == ("李*", "138****8000")
    assert ((await client.get(base, headers=co)).json()["filer_phone"]) == ""
    revealed = await client.post(f"{base}/contact", json={"reason": "callback"}, headers=lead)
    assert revealed.status_code == 200 and revealed.json() == {"filer_name": NAME, "filer_phone": PHONE}
    refused = await client.post(f"{base}/contact", json={"reason": "callback"}, headers=co)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    for body in ({}, {"reason": "curiosity"}, {"reason": "callback", "extra": 1}):
        wrong = await client.post(f"{base}/contact", json=body, headers=lead)
        assert wrong.status_code in (400, 422) and PHONE not in wrong.text
    audit = await AuditEvent.select(AuditEvent.actor_name).where(AuditEvent.action == "contact_revealed")
    assert [row["actor_name"] for row in audit] == [audit[0]["actor_name"]] and audit[0]["actor_name"].startswith("API key: ")
