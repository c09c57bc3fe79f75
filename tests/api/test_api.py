"""The JSON API at /api/v1: the schema, the public record, filing, following, staff actions,
errors in the reader's language, keys' scope and revocation, and CSRF for browsers only."""

from __future__ import annotations

import re

from backend.accounts.tables import ApiKey, AuditEvent
from backend.cases import services
from backend.vocabulary import Status
from backend.cases.tables import Case
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.keys import bearer
from tests.support import CROSS_SITE, jpeg

NEW_CASE = {
    "case_type": "complaint",
    "title": "路口自来水管爆裂",
    "description": "路口东南角有自来水从地面冒出来，整个路口都是水。",
    "address": "朝阳大街与七一路交口",
    "filer_name": "王先生",
    "filer_phone": "13800138000",
    "public": True,
}


def new_case(categories, **overrides) -> dict:
    return {**NEW_CASE, "category_id": categories["water"].id, **overrides}


async def test_the_schema_describes_only_the_api_and_every_error(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["openapi"].startswith("3.")
    assert schema["paths"] and all(path.startswith("/api/v1/") for path in schema["paths"])
    assert "apiKey" in schema["components"]["securitySchemes"]
    error_body = schema["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"code", "message"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "429"} <= statuses, f"{method} {path}"
            for status in statuses - {"200", "201"}:
                content = operation["responses"][status]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/ErrorBody"}, f"{method} {path} {status}"
    filing = schema["paths"]["/api/v1/cases"]["post"]
    assert {"401", "403", "422"} <= set(filing["responses"]) and filing["security"] == [{"apiKey": []}]


async def test_public_reads_page_by_keyset_and_carry_no_personal_data(client, settings, categories):
    numbers = []
    for title in ("路口自来水管爆裂", "小区停水三天了", "消防栓漏水严重"):
        filed = await file(settings, form(categories["water"], title=title, filer_name="李明", filer_phone="13912345678"))
        await bring_to(filed.number, Status.accepted, categories["water"].department)
        numbers.append(filed.number)
    private = await file(settings, form(categories["water"], publication="private"))
    await bring_to(private.number, Status.accepted, categories["water"].department)
    first = (await client.get("/api/v1/cases?page_size=2")).json()
    second = (await client.get(f"/api/v1/cases?page_size=2&cursor={first['next_cursor']}")).json()
    assert [case["number"] for case in first["cases"] + second["cases"]] == numbers[::-1]
    assert second["next_cursor"] is None
    bad = await client.get("/api/v1/cases?cursor=nonsense", headers={"accept-language": "en"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_filter" and "cursor" in bad.json()["fields"]
    filtered = (await client.get("/api/v1/cases?category=roads")).json()
    assert filtered["cases"] == []
    unknown = await client.get("/api/v1/cases?category=nothing", headers={"accept-language": "en"})
    assert unknown.status_code == 400 and unknown.json()["fields"] == {"category": "Choose a category from the list."}
    case = (await client.get(f"/api/v1/cases/{numbers[0]}")).json()
    assert case["timeline"][-1]["action"] == "accept" and case["url"].endswith(f"/cases/{numbers[0]}")
    assert (await client.get(f"/api/v1/cases/{private.number}")).status_code == 404
    everything = "".join(
        [(await client.get(url)).text for url in ("/api/v1/cases", *[f"/api/v1/cases/{n}" for n in numbers])]
    )
    assert "李明" not in everything and "13912345678" not in everything and "follow" not in everything


async def test_categories_departments_and_figures(client, categories):
    listed = (await client.get("/api/v1/categories")).json()
    assert [item["code"] for item in listed] == ["water", "roads", "advice"]
    departments = (await client.get("/api/v1/departments")).json()
    assert {item["name_en"] for item in departments} == {"City Water Supply Company", "Municipal Facilities Office"}
    figures = (await client.get("/api/v1/departments/figures?period=week")).json()
    assert figures["period"] == "week" and len(figures["departments"]) == 2
    assert (await client.get("/api/v1/departments/figures?period=decade")).status_code == 400


async def test_filing_with_a_file_key_files_once_and_follows_by_token(client, api_key, categories):
    headers = bearer(await api_key("file", "12345 热线"))
    photo = await client.post("/api/v1/photos", files={"photo": ("leak.jpg", jpeg(), "image/jpeg")}, headers=headers)
    assert photo.status_code == 201, photo.text
    body = new_case(categories, photo_keys=[photo.json()["key"]], submission_key="k" * 30)
    filed = await client.post("/api/v1/cases", json=body, headers=headers)
    assert filed.status_code == 201, filed.text
    again = await client.post("/api/v1/cases", json=body, headers=headers)
    assert again.json()["number"] == filed.json()["number"], "a retry files once"
    case = await Case.objects().where(Case.number == filed.json()["number"]).first()
    assert case.source == "api" and case.filer_phone == "13800138000"
    followed = await client.get(f"/api/v1/follow/{filed.json()['follow_token']}")
    assert followed.status_code == 200 and followed.headers["cache-control"] == "no-store, private"
    assert len(followed.json()["photos"]) == 1 and "13800138000" not in followed.text
    assert (await client.get("/api/v1/follow/" + "x" * 43)).status_code == 404


async def test_filing_errors_name_the_fields_in_the_readers_language(client, api_key, categories):
    key = await api_key("file")
    english = await client.post("/api/v1/cases", json=new_case(categories, title="水"), headers=bearer(key))
    assert english.status_code == 422
    assert english.json()["code"] == "invalid"
    assert english.json()["fields"] == {"title": "Give a short title (4 to 80 characters)."}
    chinese = await client.post(
        "/api/v1/cases", json=new_case(categories, title="水"), headers={**bearer(key), "accept-language": "zh-CN"}
    )
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()["fields"]["title"])
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()["message"])
    malformed = await client.post("/api/v1/cases", json={"title": 5}, headers=bearer(key))
    assert malformed.status_code == 400 and malformed.json()["code"] == "bad_request"
    unknown = await client.post("/api/v1/cases", json={**new_case(categories), "filer_email": "x"}, headers=bearer(key))
    assert unknown.status_code == 400


async def test_a_key_works_only_within_its_scope_and_until_revoked(client, api_key, categories, person):
    read = await api_key("read")
    refused = await client.post("/api/v1/cases", json=new_case(categories), headers=bearer(read))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (await client.get("/api/v1/cases", headers=bearer(read))).status_code == 200
    admin = await person("admin")
    made = await admin.post_form("/admin/api-keys", {"name": "城市 App", "kind": "file"})
    assert made.status_code == 201
    key = re.search(r'value="(msk_[A-Za-z0-9_-]{43})"', made.text).group(1)
    assert (await ApiKey.select(ApiKey.key_hash).first())["key_hash"] != key, "only the hash is kept"
    assert (await client.post("/api/v1/cases", json=new_case(categories), headers=bearer(key))).status_code == 201
    listing = await admin.client.get("/admin/api-keys")
    assert "城市 App" in listing.text and key not in listing.text, "shown only once"
    key_id = (await ApiKey.select(ApiKey.id).where(ApiKey.name == "城市 App").first())["id"]
    assert (await admin.post_form(f"/admin/api-keys/{key_id}/revoke")).status_code == 303
    revoked = await client.get("/api/v1/cases", headers=bearer(key))
    assert revoked.status_code == 401 and revoked.json()["code"] == "invalid_api_key"
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action)]
    assert "api_key_created" in actions and "api_key_revoked" in actions


async def test_a_submission_key_replayed_with_other_content_is_a_conflict(client, api_key, categories):
    headers = bearer(await api_key("file"))
    key = "s" * 40
    first = await client.post("/api/v1/cases", json=new_case(categories, submission_key=key), headers=headers)
    assert first.status_code == 201
    same = await client.post("/api/v1/cases", json=new_case(categories, submission_key=key), headers=headers)
    assert same.status_code == 201 and same.json() == first.json()
    other = await client.post("/api/v1/cases", json=new_case(categories, submission_key=key, title="另一个投诉"), headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "conflict" and "form" in other.json()["fields"]
    assert first.json()["follow_token"] not in other.text
    assert await Case.count() == 1


async def test_staff_keys_act_through_the_workflow(client, api_key, settings, categories):
    water = categories["water"].department
    filed = await file(settings, form(categories["water"]))
    moderator = bearer(await api_key("moderator"))
    department = bearer(await api_key(f"staff:{water}"))
    base = f"/api/v1/staff/cases/{filed.number}"
    accepted = await client.post(f"{base}/actions/accept", json={}, headers=moderator)
    assert accepted.json() == {"entry_id": accepted.json()["entry_id"], "status": "accepted"}
    assigned = await client.post(f"{base}/actions/assign", json={"department_id": water}, headers=moderator)
    assert assigned.json()["status"] == "assigned"
    seen = (await client.get(base, headers=department)).json()
    assert seen["filer_phone"] == "138****8000" and "sign" in seen["actions"]  # masked: tests/api/test_reveals.py
    assert (await client.post(f"{base}/actions/sign", json={}, headers=department)).json()["status"] == "signed"
    # Only what will be accepted is offered: a complaint has no representative's meeting or call.
    offered = (await client.get(base, headers=department)).json()["actions"]
    assert "record_contact" in offered and not {"record_meeting", "record_call"} & set(offered)
    again = await client.post(f"{base}/actions/sign", json={}, headers=department)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    no_text = await client.post(f"{base}/actions/draft_reply", json={}, headers=department)
    assert no_text.status_code == 422 and no_text.json()["code"] == "invalid"
    unknown = await client.post(f"{base}/actions/teleport", json={}, headers=department)
    assert unknown.status_code == 404
    assert (await services.staff_case(filed.number)).case.status == "signed"


async def test_the_cross_site_check_is_skipped_only_for_requests_with_a_valid_key(client, api_key, person, categories):
    # A signed-in browser cannot act through the API with its session, from this site or not.
    admin = await person("admin")
    session_only = await admin.client.post("/api/v1/cases", json=new_case(categories), headers={"accept": "application/json"})
    assert session_only.status_code == 401 and await Case.count() == 0
    # A key is not a browser's: whatever its headers say, it is not checked for the site...
    key = await api_key("file")
    assert (await client.post("/api/v1/cases", json=new_case(categories), headers={**bearer(key), **CROSS_SITE})).status_code == 201
    # ...but only on the API: a page's form is still checked, key or not.
    page = await admin.client.post("/admin/api-keys", data={"name": "x", "kind": "read"}, headers={**bearer(key), **CROSS_SITE})
    assert page.status_code == 403
    assert await ApiKey.count() == 1


async def test_operators_make_a_key_on_the_command_line(categories):
    import subprocess
    import sys

    from backend.accounts.api_keys import holder_of
    from tests.support import PROJECT_ROOT

    department = categories["water"].department
    made = subprocess.run(
        [sys.executable, "-m", "backend.cli", "api-key", "create", "--name", "12345 热线", "--scope", f"staff:{department}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    found = await holder_of(key)
    assert found.name == "12345 热线" and (found.scope, found.department_id) == ("staff", department)
    wrong = subprocess.run(
        [sys.executable, "-m", "backend.cli", "api-key", "create", "--name", "x", "--scope", "everything"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert wrong.returncode != 0 and "scope" in wrong.stderr


async def test_reviews_and_the_filers_rating_through_the_api(client, api_key, settings, categories):
    water = categories["water"].department
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.signed, water)
    moderator, department, app = bearer(await api_key("moderator")), bearer(await api_key(f"staff:{water}")), bearer(await api_key("file"))
    await client.post(f"/api/v1/staff/cases/{filed.number}/actions/draft_reply", json={"text": "管道已更换。"}, headers=department)
    early = await client.post(f"/api/v1/follow/{filed.follow_token}/rating", json={"satisfaction": "satisfied", "solved": "yes"}, headers=app)
    assert early.status_code == 409 and early.json()["code"] == "conflict"
    pending = (await client.get("/api/v1/staff/reviews", headers=moderator)).json()
    assert [(item["case_number"], item["text"]) for item in pending] == [(filed.number, "管道已更换。")]
    assert (await client.get("/api/v1/staff/reviews", headers=department)).status_code == 403
    published = await client.post(f"/api/v1/staff/reviews/{pending[0]['entry_id']}", json={"decision": "approve"}, headers=moderator)
    assert published.json()["status"] == "replied"
    again = await client.post(f"/api/v1/staff/reviews/{pending[0]['entry_id']}", json={"decision": "approve"}, headers=moderator)
    assert again.status_code == 409
    rated = await client.post(f"/api/v1/follow/{filed.follow_token}/rating", json={"satisfaction": "satisfied", "solved": "yes"}, headers=app)
    assert rated.status_code == 201 and rated.json()["status"] == "rated"
