"""The suggestion channel over HTTP: a representative files, invites, co-signs and submits;
the PDFs are served safely; the public sees names of representatives, never of citizens;
staff get their own queues; the lead rates the answer in their channel."""

from __future__ import annotations

from backend.cases import workflow
from backend.vocabulary import Status
from backend.cases.tables import Case
from backend.representatives.tables import CoSigner, Suggestion
from tests.representatives.helpers import MODERATOR, TEXT, answer, handler_of, pdf
from tests.support import jpeg

REP = {"body": "npc", "level": "city", "constituency": "竞秀区第一选区"}


async def file_draft(someone, categories, files=None, **overrides) -> object:
    data = {"title": "加快老城区雨污分流改造", "text": TEXT, "category_id": str(categories["water"].id), "publication": "public"}
    return await someone.client.post("/representatives/new", data=data | overrides, files=files or {})


async def draft_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_a_representative_files_invites_a_co_signer_and_submits(person, client, categories):
    lead = await person("representative", name="王代表", **REP)
    co = await person("representative", name="李委员", body="cppcc", level="county", constituency="经济界")
    outsider = await person("representative", name="赵代表", **REP)
    files = [("attachments", ("方案.pdf", pdf(), "application/pdf")), ("photos", ("site.jpg", jpeg(gps=(38.87, 115.46)), "image/jpeg"))]
    case_id = await draft_id(await file_draft(lead, categories, files))
    page = await lead.client.get(f"/representatives/drafts/{case_id}")
    assert page.status_code == 200 and "加快老城区雨污分流改造" in page.text and "方案.pdf" in page.text
    assert "李委员" in page.text  # among those the lead may invite
    assert (await co.client.get(f"/representatives/drafts/{case_id}")).status_code == 404  # not invited yet
    assert (await outsider.client.get(f"/representatives/drafts/{case_id}")).status_code == 404

    invited = await lead.post_form(f"/representatives/drafts/{case_id}/invite", {"account_id": str(co.account_id)})
    assert invited.status_code == 303
    assert "加快老城区雨污分流改造" in (await co.client.get("/representatives")).text  # in their invitations
    assert (await co.post_form(f"/representatives/drafts/{case_id}/co-sign")).status_code == 303
    again = await co.post_form(f"/representatives/drafts/{case_id}/co-sign")
    assert again.status_code == 409
    assert (await outsider.post_form(f"/representatives/drafts/{case_id}/co-sign")).status_code == 404
    assert (await co.post_form(f"/representatives/drafts/{case_id}/submit")).status_code == 403  # only the lead

    submitted = await lead.post_form(f"/representatives/drafts/{case_id}/submit")
    assert submitted.status_code == 303
    number = submitted.headers["location"].rsplit("/", 1)[1]
    own = await lead.client.get(f"/representatives/suggestions/{number}")
    assert own.status_code == 200 and "王代表" in own.text and "李委员" in own.text
    assert (await client.get(f"/representatives/suggestions/{number}")).status_code == 404  # public once accepted
    await workflow.perform(number, "accept", MODERATOR)
    public = await client.get(f"/representatives/suggestions/{number}")
    assert public.status_code == 200 and "王代表" in public.text and "李委员" in public.text and "方案.pdf" in public.text
    listing = await client.get("/representatives/suggestions")
    assert number in listing.text and "王代表" in listing.text
    key = public.text.split('href="/representatives/attachments/')[1].split('"')[0]
    download = await client.get(f"/representatives/attachments/{key}")  # public now, with its name kept
    assert download.status_code == 200 and "%E6%96%B9%E6%A1%88.pdf" in download.headers["content-disposition"]


async def test_pdfs_are_checked_and_served_only_as_sandboxed_downloads(person, client, categories):
    lead = await person("representative", name="王代表", **REP)
    html = [("attachments", ("evil.pdf", b"<html><script>alert(document.cookie)</script></html>", "application/pdf"))]
    refused = await file_draft(lead, categories, html)
    assert refused.status_code == 422 and "not a PDF" in refused.text
    assert "加快老城区雨污分流改造" in refused.text  # what was typed stays
    assert await Suggestion.count() == 0
    big = [("attachments", ("big.pdf", pdf() + b"%" * (10 * 1024 * 1024), "application/pdf"))]
    assert (await file_draft(lead, categories, big)).status_code in (413, 422)

    scripted = [("attachments", ("script.pdf", pdf(javascript=True), "application/pdf"))]
    case_id = await draft_id(await file_draft(lead, categories, scripted))
    url = (await lead.client.get(f"/representatives/drafts/{case_id}")).text.split('href="/representatives/attachments/')[1].split('"')[0]
    url = f"/representatives/attachments/{url}"
    response = await lead.client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
    assert (await client.get(url)).status_code == 404  # a draft's PDF is not public
    refused_later = await lead.client.post(
        f"/representatives/drafts/{case_id}/attachments",
        files=[("attachments", ("page.pdf", b"%PDF-1.4\n<html></html>", "application/pdf"))],
    )
    assert refused_later.status_code == 422


async def test_citizens_and_staff_cannot_file_here(person, client, categories):
    handler = await person("handler", department_id=categories["water"].department)
    assert (await file_draft(handler, categories)).status_code == 403
    anonymous = await client.post("/representatives/new", data={"title": "x"})
    assert anonymous.status_code in (401, 403)


async def test_staff_queues_mark_suggestions_and_the_lead_rates_in_the_channel(person, client, categories):
    lead = await person("representative", name="王代表", **REP)
    moderator = await person("moderator")
    department = categories["water"].department
    handler = await person("handler", department_id=department)
    case_id = await draft_id(await file_draft(lead, categories))
    assert "加快老城区" not in (await moderator.client.get("/moderation")).text  # a draft is in no queue
    number = (await lead.post_form(f"/representatives/drafts/{case_id}/submit")).headers["location"].rsplit("/", 1)[1]
    queue = await moderator.client.get("/moderation/suggestions")
    assert number in queue.text and "badge-suggestion" in queue.text
    assert "badge-suggestion" in (await moderator.client.get("/moderation")).text  # and in the general queue
    staff_page = await moderator.client.get(f"/staff/cases/{number}")
    assert "王代表" in staff_page.text and 'name="case_type"' not in staff_page.text  # it stays a suggestion
    # The lead's contact block, masked until revealed, as a filer's (the suggestion names the representatives).
    assert '<h3 id="filer-contact-heading">Lead representative</h3>' in staff_page.text and "<dd>王**</dd>" in staff_page.text
    assert (await moderator.post_form(f"/staff/cases/{number}/accept")).status_code == 303
    assigned = await moderator.post_form(f"/staff/cases/{number}/assign", {"department_id": str(department)})
    assert assigned.status_code == 303
    assert number in (await handler.client.get("/department/suggestions")).text
    assert (await handler.post_form(f"/staff/cases/{number}/sign")).status_code == 303
    staff_page = await handler.client.get(f"/staff/cases/{number}")
    assert "王代表" in staff_page.text and "/record_meeting" in staff_page.text and "/record_contact" not in staff_page.text
    met = await handler.post_form(f"/staff/cases/{number}/record_meeting", {"body": "当面沟通了改造方案。"})
    assert met.status_code == 303
    await answer(number, department)

    page = await lead.client.get(f"/representatives/suggestions/{number}")
    assert "rate-button" in page.text and "当面沟通了改造方案。" in page.text
    missing = await lead.post_form(f"/representatives/suggestions/{number}/rating", {"outcome": "satisfied"})
    assert missing.status_code == 422
    rated = await lead.post_form(f"/representatives/suggestions/{number}/rating", {"outcome": "unsatisfied", "attitude": "satisfied", "comment": "没有时间表。"})
    assert rated.status_code == 303
    to_publish = await moderator.client.get("/moderation/ratings")
    assert "没有时间表。" in to_publish.text and "Outcome: <strong>Unsatisfied</strong>" in to_publish.text
    case = await Case.objects().where(Case.number == number).first()
    assert case.status == Status.assigned.value and case.reopened_count == 1
    await workflow.perform(number, "sign", handler_of(department))
    await answer(number, department)
    await lead.post_form(f"/representatives/suggestions/{number}/rating", {"outcome": "satisfied", "attitude": "satisfied"})
    home = await lead.client.get("/representatives")
    assert "100 %" in home.text or "50 %" in home.text


async def test_the_public_list_filters_with_htmx_fragments(person, client, categories):
    lead = await person("representative", name="王代表", **REP)
    case_id = await draft_id(await file_draft(lead, categories))
    number = (await lead.post_form(f"/representatives/drafts/{case_id}/submit")).headers["location"].rsplit("/", 1)[1]
    await workflow.perform(number, "accept", MODERATOR)
    full = await client.get("/representatives/suggestions?body=npc&status=accepted")
    assert full.status_code == 200 and "<html" in full.text and number in full.text
    fragment = await client.get("/representatives/suggestions?body=cppcc", headers={"hx-request": "true"})
    assert "<html" not in fragment.text and 'id="suggestion-list"' in fragment.text and number not in fragment.text
    assert (await client.get("/representatives/suggestions?cursor=nonsense")).status_code == 400
    assert (await client.get("/representatives/suggestions?body=x&area=abc&department=-1&status=draft")).status_code == 200


def invitation_count(page) -> str:
    """The count beside 'Co-sign invitations' in the navigation."""
    link = page.text.split('href="/representatives#invitations-heading"')[1].split("</a>")[0]
    return link.split('data-count="')[1].split('"')[0]


async def test_the_co_sign_picker_invites_nobody_until_a_representative_is_chosen(person, categories):
    lead = await person("representative", name="王代表", **REP)
    co = await person("representative", name="李委员", body="cppcc", level="county", constituency="经济界")
    case_id = await draft_id(await file_draft(lead, categories))
    page = (await lead.client.get(f"/representatives/drafts/{case_id}")).text
    picker = page.split('<select id="field-account_id"')[1].split("</select>")[0]
    assert picker.split("<option", 2)[1].startswith(' value=""')  # the first choice is nobody
    assert invitation_count(await co.client.get("/representatives")) == "0"

    straight_away = await lead.post_form(f"/representatives/drafts/{case_id}/invite", {"account_id": ""})
    assert straight_away.status_code == 422
    error = straight_away.text.split('id="invite-error">')[1].split("</p>")[0]  # by the picker
    assert error == "Choose a representative from the list."
    assert 'aria-invalid="true" aria-describedby="invite-error"' in straight_away.text
    assert await CoSigner.count() == 0

    assert (await lead.post_form(f"/representatives/drafts/{case_id}/invite", {"account_id": str(co.account_id)})).status_code == 303
    assert invitation_count(await co.client.get("/representatives")) == "1"  # in their navigation, on every page
    assert invitation_count(await co.client.get("/cases")) == "1"
    assert (await co.post_form(f"/representatives/drafts/{case_id}/co-sign")).status_code == 303
    assert invitation_count(await co.client.get("/representatives")) == "0"


async def test_a_suggestion_without_a_place_shows_no_empty_place(person, client, categories):
    lead = await person("representative", name="王代表", **REP)
    submitted = await lead.post_form(f"/representatives/drafts/{await draft_id(await file_draft(lead, categories))}/submit")
    number = submitted.headers["location"].rsplit("/", 1)[1]
    page = (await lead.client.get(f"/representatives/suggestions/{number}")).text
    assert "<dt>Place</dt>" not in page
