"""Every API route, walked without a key and with a key of each scope: exactly the scopes in
the table get through. tests/web/test_access.py fails on a route that is in no table."""

from __future__ import annotations

from backend.cases import services
from backend.cases.actions import API_ACTIONS
from backend.cases.bulk import BULK_ACTIONS
from backend.cases.lifecycle import TRANSITIONS
from backend.vocabulary import Role, Status
from tests.cases.test_lifecycle import bring_to
from tests.cases.test_filing import file, form
from tests.keys import bearer

def bulk_scopes(action: str) -> set[str]:
    roles = TRANSITIONS[action].roles
    return {scope for scope, role in (("moderator", Role.moderator), ("staff", Role.handler)) if role in roles}


PUBLIC = {"none", "read", "file", "moderator", "staff"}  # no key needed; any valid key will do
STAFF = {"moderator", "staff"}

# (method, path) → who gets through: "none" is a request without a key.
API_ROUTES = {
    ("GET", "/api/v1/cases"): PUBLIC,
    ("GET", "/api/v1/cases/{number:str}"): PUBLIC,
    ("GET", "/api/v1/follow/{token:str}"): PUBLIC,
    ("GET", "/api/v1/categories"): PUBLIC,
    ("GET", "/api/v1/answers"): PUBLIC,
    ("GET", "/api/v1/answers/{entry_id:str}"): PUBLIC,
    ("GET", "/api/v1/departments"): PUBLIC,
    ("GET", "/api/v1/departments/figures"): PUBLIC,
    ("GET", "/api/v1/areas"): PUBLIC,
    ("GET", "/api/v1/staff/routing-rules"): {"moderator"},
    ("GET", "/api/v1/staff/cases/{number:str}/routing"): {"moderator"},
    ("POST", "/api/v1/cases"): {"file"},
    ("POST", "/api/v1/photos"): {"file"},
    ("GET", "/api/v1/staff/cases"): STAFF,
    ("GET", "/api/v1/staff/search"): STAFF,
    ("GET", "/api/v1/staff/cases/{number:str}"): STAFF,
    ("POST", "/api/v1/staff/cases/{number:str}/contact"): STAFF,
    ("POST", "/api/v1/staff/cases/{number:str}/entries/{entry_id:str}/personal"): STAFF,
    # One route per action a key may take, each with its own body (backend.cases.actions).
    **{("POST", f"/api/v1/staff/cases/{{number:str}}/actions/{action}"): STAFF for action in API_ACTIONS},
    # One route per bulk action; a key whose role the action is not for is refused by the table (403).
    **{("POST", f"/api/v1/staff/bulk/{action}"): bulk_scopes(action) for action in BULK_ACTIONS},
    ("POST", "/api/v1/follow/{token:str}/rating"): {"file"},
    ("POST", "/api/v1/follow/{token:str}/withdraw"): {"file"},
    ("GET", "/api/v1/staff/reviews"): {"moderator"},
    ("POST", "/api/v1/staff/reviews/{entry_id:str}"): {"moderator"},
    ("GET", "/open311/v2/discovery.json"): PUBLIC,
    ("GET", "/open311/v2/discovery.xml"): PUBLIC,
    ("GET", "/open311/v2/services.json"): PUBLIC,
    ("GET", "/open311/v2/services.xml"): PUBLIC,
    ("GET", "/open311/v2/services/{name:str}"): PUBLIC,
    ("GET", "/open311/v2/requests.json"): PUBLIC,
    ("GET", "/open311/v2/requests.xml"): PUBLIC,
    ("POST", "/open311/v2/requests.json"): {"file"},
    ("POST", "/open311/v2/requests.xml"): {"file"},
    ("GET", "/open311/v2/requests/{name:str}"): PUBLIC,
    ("GET", "/open311/v2/tokens/{name:str}"): PUBLIC,
    ("GET", "/open311/v2/servicerequestupdates.json"): PUBLIC,
    ("GET", "/open311/v2/servicerequestupdates.xml"): PUBLIC,
}


async def test_each_api_route_admits_exactly_its_scopes(client, api_key, settings, categories):
    water = categories["water"].department
    filed = await file(settings, form(categories["water"]))
    await bring_to(filed.number, Status.assigned, water)
    keys = {
        "none": None,
        "read": await api_key("read"),
        "file": await api_key("file"),
        "moderator": await api_key("moderator"),
        "staff": await api_key(f"staff:{water}"),
    }
    names = {"services": "water.json", "requests": f"{filed.number}.json", "tokens": f"{filed.follow_token}.json"}
    for (method, path), allowed in API_ROUTES.items():
        url = (
            path.replace("{number:str}", filed.number)
            .replace("{token:str}", filed.follow_token)
            .replace("{entry_id:str}", "999999")
            .replace("{name:str}", names.get(path.split("/")[3], ""))
        )
        for who, key in keys.items():
            headers = bearer(key) if key else {}
            if method == "GET":
                response = await client.get(url, headers=headers)
            elif url.startswith("/open311/"):
                response = await client.post(url, data={"api_key": key or ""})
            else:
                body = {"satisfaction": "satisfied", "solved": "yes"} if url.endswith("/rating") else {"text": "一条内部备注"}
                if "/reviews/" in url:
                    body = {"decision": "approve"}
                elif "/bulk/" in url:
                    body = {"numbers": [filed.number], "input": {"text": "请尽快办理"}}
                elif "/actions/" in url and not url.endswith("/post_internal_note"):
                    body = {"no_such_field": 1}  # the guard lets the key through; the body is refused (400)
                response = await client.post(url, json=body, headers=headers)
            label = f"{method} {url} as {who}: {response.status_code} {response.text[:200]}"
            if who in allowed:
                assert response.status_code not in (401, 403), label
            elif who == "none" and not url.startswith("/open311/"):
                assert response.status_code == 401, label
                assert response.json()["code"] == "api_key_required", label
            else:
                assert response.status_code == 403, label
    assert await services.public_case(filed.number) is not None


async def test_a_department_key_sees_and_acts_only_on_its_cases(client, api_key, settings, categories):
    water, roads = categories["water"].department, categories["roads"].department
    ours = await file(settings, form(categories["water"], title="水管爆裂"))
    theirs = await file(settings, form(categories["roads"], title="路面塌陷"))
    await bring_to(ours.number, Status.assigned, water)
    await bring_to(theirs.number, Status.assigned, roads)
    headers = bearer(await api_key(f"staff:{water}"))
    listed = (await client.get("/api/v1/staff/cases", headers=headers)).json()
    assert [case["number"] for case in listed] == [ours.number]
    assert (await client.get(f"/api/v1/staff/cases/{theirs.number}", headers=headers)).status_code == 404
    refused = await client.post(f"/api/v1/staff/cases/{theirs.number}/actions/sign", json={}, headers=headers)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    # A moderator's action is not a department's, whatever the case.
    moderation = await client.post(f"/api/v1/staff/cases/{ours.number}/actions/accept", json={}, headers=headers)
    assert moderation.status_code == 403 and moderation.json()["code"] == "forbidden"


async def test_a_bulk_run_lists_each_refused_case_with_its_code_and_reason(client, api_key, settings, categories):
    water = categories["water"].department
    new = [(await file(settings, form(categories["water"], title=f"路灯不亮 {n}"))).number for n in range(2)]
    signed = (await file(settings, form(categories["water"], title="水管爆裂"))).number
    await bring_to(signed, Status.signed, water)
    moderator = bearer(await api_key("moderator"))
    body = {"numbers": [*new, signed, "2026-999999"], "input": {"department_id": water}}
    response = await client.post("/api/v1/staff/bulk/assign", json=body, headers={**moderator, "accept-language": "en"})
    assert response.status_code == 200, response.text
    assert [done["number"] for done in response.json()["done"]] == new
    assert response.json()["refused"] == [
        {"number": signed, "code": "conflict", "message": "This cannot be done while the case is in its current state."},
        {"number": "2026-999999", "code": "not_found", "message": "There is no such case."},
    ]
    chinese = await client.post("/api/v1/staff/bulk/assign", json=body, headers={**moderator, "accept-language": "zh-CN"})
    assert "current state" not in chinese.json()["refused"][0]["message"]
    too_many = await client.post("/api/v1/staff/bulk/assign", json={"numbers": [signed] * 101, "input": {}}, headers=moderator)
    assert too_many.status_code == 400
    staff = bearer(await api_key(f"staff:{water}"))
    refused = await client.post("/api/v1/staff/bulk/assign", json=body, headers=staff)
    assert refused.status_code == 403
    signing = await client.post("/api/v1/staff/bulk/sign", json={"numbers": new, "input": {}}, headers=staff)
    assert [done["number"] for done in signing.json()["done"]] == new
