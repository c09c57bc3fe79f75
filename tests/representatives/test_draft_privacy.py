"""A draft is its representatives' alone until it is submitted: no staff list, count, page,
action or PDF reveals it, through the pages or the API."""

from __future__ import annotations

from backend.cases.tables import Case
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)
from tests.representatives.helpers import pdf
from tests.representatives.test_pages import REP, draft_id, file_draft


async def _draft_with_a_pdf(person, categories):
    lead = await person("representative", name="王代表", **REP)
    case_id = await draft_id(await file_draft(lead, categories, [("attachments", ("方案.pdf", pdf(), "application/pdf"))]))
    page = (await lead.client.get(f"/representatives/drafts/{case_id}")).text
    url = "/representatives/attachments/" + page.split('href="/representatives/attachments/')[1].split('"')[0]
    number = (await Case.select(Case.number).where(Case.id == case_id).first())["number"]
    return lead, case_id, number, url


async def test_no_staff_list_or_action_reveals_a_draft(person, client, api_key, categories):
    lead, case_id, number, _ = await _draft_with_a_pdf(person, categories)
    moderator = bearer(await api_key("moderator"))
    department = bearer(await api_key(f"staff:{categories['water'].department}"))
    listed = await client.get("/api/v1/staff/cases", headers=moderator)
    assert listed.status_code == 200 and listed.json() == []
    assert (await client.get("/api/v1/staff/cases?status=draft", headers=moderator)).json() == []
    # Its placeholder number answers exactly as one of the same shape that names nothing: a
    # placeholder is no case number (the path type refuses it), so nothing tells a draft is there.
    nothing = "D" + "0" * (len(number) - 1)
    for headers in (moderator, department):
        seen, unseen = [await client.get(f"/api/v1/staff/cases/{each}", headers=headers) for each in (number, nothing)]
        assert 400 <= seen.status_code < 500 and (seen.status_code, seen.json()) == (unseen.status_code, unseen.json())
        acted, not_acted = [
            await client.post(f"/api/v1/staff/cases/{each}/actions/accept", json={}, headers=headers) for each in (number, nothing)
        ]
        assert 400 <= acted.status_code < 500 and (acted.status_code, acted.json()) == (not_acted.status_code, not_acted.json())
    leader = await person("leader", name="张市长")
    overview = await leader.client.get("/leader")
    assert overview.status_code == 200 and "加快老城区雨污分流改造" not in overview.text


async def test_a_drafts_pdfs_are_served_to_its_representatives_only(person, categories):
    lead, case_id, number, url = await _draft_with_a_pdf(person, categories)
    invited = await person("representative", name="李委员", body="cppcc", level="county", constituency="经济界")
    assert (await lead.post_form(f"/representatives/drafts/{case_id}/invite", {"account_id": str(invited.account_id)})).status_code == 303
    assert (await lead.client.get(url)).status_code == 200
    assert (await invited.client.get(url)).status_code == 200
    for role in ("moderator", "leader", "admin"):
        staff = await person(role)
        assert (await staff.client.get(url)).status_code == 404, role
    handler = await person("handler", department_id=categories["water"].department)
    assert (await handler.client.get(url)).status_code == 404
    submitted = await lead.post_form(f"/representatives/drafts/{case_id}/submit")
    assert submitted.status_code == 303
    moderator = await person("moderator", name="平台中心")
    assert (await moderator.client.get(url)).status_code == 200  # submitted: the centre reviews it
