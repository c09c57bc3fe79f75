"""Every staff route, walked as anonymous, as a citizen and as each role: exactly the roles
in the table get through. A route that is in neither table fails the test, so no new route
can slip past without a decision about who may use it.
"""

from __future__ import annotations

import pytest

from backend.app import create_app
from backend.vocabulary import Status
from tests.keys import api_key, bearer  # noqa: F401  (api_key: a fixture)
from tests.people import Person
from tests.api.test_access import API_ROUTES
from tests.cases.test_lifecycle import bring_to, filed_case

EVERYONE = {"admin", "moderator", "handler", "leader", "representative"}

# (method, path) → the roles that may use it. "{case}" is a case of the handler's department.
NOTIFIED = {"handler", "moderator", "leader", "representative"}  # those with notices of their work
STAFF_ROUTES = {
    ("GET", "/account/passkeys"): EVERYONE,
    ("POST", "/account/confirm/options"): EVERYONE,
    ("POST", "/account/confirm"): EVERYONE,
    ("POST", "/account/passkeys/options"): EVERYONE,
    ("POST", "/account/passkeys"): EVERYONE,
    ("POST", "/account/passkeys/{passkey_id:str}/rename"): EVERYONE,
    ("POST", "/account/passkeys/{passkey_id:str}/remove"): EVERYONE,
    ("GET", "/admin"): {"admin"},
    ("GET", "/admin/accounts"): {"admin"},
    ("POST", "/admin/accounts"): {"admin"},
    ("POST", "/admin/accounts/{account_id:str}/disable"): {"admin"},
    ("POST", "/admin/accounts/{account_id:str}/enable"): {"admin"},
    ("POST", "/admin/accounts/{account_id:str}/reinvite"): {"admin"},
    ("GET", "/admin/audit"): {"admin"},
    ("GET", "/admin/notifications"): {"admin"},
    ("GET", "/admin/notifications/wordings"): {"admin"},
    ("GET", "/admin/notifications/wordings/{notice:str}"): {"admin"},
    ("POST", "/admin/notifications/wordings/{notice:str}"): {"admin"},
    ("GET", "/account/notifications"): NOTIFIED,
    ("POST", "/account/notifications/push"): NOTIFIED,
    ("POST", "/account/notifications/choices"): NOTIFIED,
    ("POST", "/account/notifications/email"): NOTIFIED,
    ("POST", "/account/notifications/sms"): NOTIFIED,
    ("POST", "/account/notifications/{device_id:str}/remove"): NOTIFIED,
    ("GET", "/admin/personal-data"): {"admin"},
    ("GET", "/admin/departments"): {"admin"},
    ("POST", "/admin/departments"): {"admin"},
    ("GET", "/admin/departments/{department_id:str}"): {"admin"},
    ("POST", "/admin/departments/{department_id:str}"): {"admin"},
    ("GET", "/admin/categories"): {"admin"},
    ("POST", "/admin/categories"): {"admin"},
    ("GET", "/admin/categories/{category_id:str}"): {"admin"},
    ("POST", "/admin/categories/{category_id:str}"): {"admin"},
    ("POST", "/admin/categories/{category_id:str}/questions"): {"admin"},
    ("POST", "/admin/categories/{category_id:str}/questions/{question_id:str}"): {"admin"},
    ("POST", "/admin/categories/{category_id:str}/questions/{question_id:str}/remove"): {"admin"},
    ("GET", "/admin/areas"): {"admin"},
    ("POST", "/admin/areas"): {"admin"},
    ("GET", "/admin/areas/{area_id:str}"): {"admin"},
    ("POST", "/admin/areas/{area_id:str}"): {"admin"},
    ("GET", "/admin/routing"): {"admin"},
    ("POST", "/admin/routing"): {"admin"},
    ("GET", "/admin/routing/returns"): {"admin"},
    ("GET", "/admin/routing/{rule_id:str}"): {"admin"},
    ("POST", "/admin/routing/{rule_id:str}"): {"admin"},
    ("POST", "/admin/routing/{rule_id:str}/move"): {"admin"},
    ("POST", "/admin/routing/{rule_id:str}/delete"): {"admin"},
    ("GET", "/admin/calendar"): {"admin"},
    ("POST", "/admin/calendar"): {"admin"},
    ("POST", "/admin/calendar/remove"): {"admin"},
    ("POST", "/admin/calendar/schedule"): {"admin"},
    ("GET", "/admin/deadlines"): {"admin"},
    ("GET", "/admin/api-keys"): {"admin"},
    ("POST", "/admin/api-keys"): {"admin"},
    ("POST", "/admin/api-keys/{key_id:str}/revoke"): {"admin"},
    ("POST", "/admin/deadlines"): {"admin"},
    ("POST", "/admin/deadlines/warning"): {"admin"},
    ("GET", "/admin/escalation"): {"admin"},
    ("POST", "/admin/escalation"): {"admin"},
    ("GET", "/moderation"): {"moderator"},
    ("GET", "/moderation/review"): {"moderator"},
    ("GET", "/moderation/events"): {"moderator"},
    ("GET", "/moderation/review/events"): {"moderator"},
    ("GET", "/moderation/intake"): {"moderator"},
    ("POST", "/moderation/intake"): {"moderator"},
    ("POST", "/moderation/review/{entry_id:str}"): {"moderator"},
    ("GET", "/moderation/ratings"): {"moderator"},
    ("POST", "/moderation/ratings/{rating_id:str}"): {"moderator"},
    ("POST", "/moderation/ratings/publish"): {"moderator"},
    ("POST", "/staff/bulk/{action:str}"): {"moderator", "leader", "handler"},  # each action's roles: the table's
    ("GET", "/moderation/callbacks"): {"moderator"},
    ("POST", "/staff/cases/{number:str}/{action:str}"): {"moderator", "leader", "handler"},
    ("POST", "/staff/cases/{number:str}/contact"): {"moderator", "handler"},  # the reveal: not leaders
    ("POST", "/staff/cases/{number:str}/entries/{entry_id:str}/personal"): {"moderator", "handler"},
    ("GET", "/department"): {"handler"},
    ("GET", "/department/events"): {"handler"},
    ("GET", "/leader"): {"leader"},
    ("GET", "/staff/cases/{number:str}"): {"moderator", "leader", "handler"},
    # Staff search and its saved views (cases.staff_search); its CSV for those who oversee every case.
    ("GET", "/staff/search"): {"moderator", "leader", "handler"},
    ("GET", "/staff/search.csv"): {"moderator", "leader"},
    ("POST", "/staff/search/views"): {"moderator", "leader", "handler"},
    ("POST", "/staff/search/views/{view_id:str}/delete"): {"moderator", "leader", "handler"},
    ("GET", "/staff/events"): {"moderator", "leader", "handler", "representative"},
    ("GET", "/representatives"): {"representative"},
    ("GET", "/representatives/new"): {"representative"},
    ("POST", "/representatives/new"): {"representative"},
    ("GET", "/representatives/drafts/{case_id:str}"): {"representative"},
    ("POST", "/representatives/drafts/{case_id:str}/invite"): {"representative"},
    ("POST", "/representatives/drafts/{case_id:str}/co-sign"): {"representative"},
    ("POST", "/representatives/drafts/{case_id:str}/attachments"): {"representative"},
    ("POST", "/representatives/drafts/{case_id:str}/submit"): {"representative"},
    ("POST", "/representatives/suggestions/{number:str}/rating"): {"representative"},
    ("GET", "/moderation/suggestions"): {"moderator"},
    ("GET", "/department/suggestions"): {"handler"},
    # The knowledge base and reply templates: the centre's and each department's own.
    ("GET", "/staff/knowledge"): {"moderator", "handler"},
    ("POST", "/staff/knowledge"): {"moderator", "handler"},
    ("GET", "/staff/knowledge/new"): {"moderator", "handler"},
    ("GET", "/staff/knowledge/{entry_id:str}"): {"moderator", "handler"},
    ("POST", "/staff/knowledge/{entry_id:str}"): {"moderator", "handler"},
    ("GET", "/staff/knowledge/{entry_id:str}/history"): {"moderator", "handler"},
    ("GET", "/staff/templates"): {"moderator", "handler"},
    ("POST", "/staff/templates"): {"moderator", "handler"},
    ("GET", "/staff/templates/{template_id:str}"): {"moderator", "handler"},
    ("POST", "/staff/templates/{template_id:str}"): {"moderator", "handler"},
}
PUBLIC_ROUTES = {
    ("GET", "/"),
    ("POST", "/language"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    # For the operators' scraper, by address or token, not by role: tests/web/test_monitoring.py.
    ("GET", "/metrics"),
    ("GET", "/manifest.webmanifest"),
    ("GET", "/sw.js"),
    ("GET", "/offline"),
    ("GET", "/cases"),
    ("GET", "/cases/{number:str}"),
    ("GET", "/cases/{number:str}/events"),
    ("GET", "/report"),
    ("POST", "/report"),
    ("GET", "/follow/{token:str}"),
    ("GET", "/my-cases"),
    ("GET", "/follow/{token:str}/export.zip"),
    ("POST", "/follow/{token:str}/erase"),
    ("GET", "/follow/{token:str}/events"),
    ("POST", "/follow/{token:str}/rating"),
    ("POST", "/follow/{token:str}/withdraw"),
    # The filer's notifications, under the follow link; the links in the messages, signed.
    ("GET", "/follow/{token:str}/notifications"),
    ("POST", "/follow/{token:str}/notifications/email"),
    ("POST", "/follow/{token:str}/notifications/sms"),
    ("POST", "/follow/{token:str}/notifications/push"),
    ("POST", "/follow/{token:str}/notifications/{subscription_id:str}/remove"),
    ("GET", "/cases/{number:str}/notifications"),
    ("POST", "/cases/{number:str}/notifications/email"),
    ("POST", "/cases/{number:str}/notifications/push"),
    ("GET", "/notifications/verify/{signed:str}"),
    ("GET", "/notifications/staff-verify/{signed:str}"),  # a staff member's email address, signed
    ("GET", "/notifications/staff-unsubscribe/{signed:str}"),
    ("POST", "/notifications/staff-unsubscribe/{signed:str}"),
    ("GET", "/notifications/unsubscribe/{signed:str}"),
    ("POST", "/notifications/unsubscribe/{signed:str}"),
    # Anyone's alerts of new cases in an area or a category; the links in their messages, signed.
    ("GET", "/alerts"),
    ("POST", "/alerts/email"),
    ("POST", "/alerts/push"),
    ("GET", "/alerts/verify/{signed:str}"),
    ("GET", "/alerts/unsubscribe/{signed:str}"),
    ("POST", "/alerts/unsubscribe/{signed:str}"),
    ("GET", "/media/{name:str}"),
    ("POST", "/photos"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/login/options"),
    ("POST", "/logout"),
    ("GET", "/invitations/{token:str}"),
    ("POST", "/invitations/{token:str}"),
    ("POST", "/invitations/{token:str}/options"),
    ("GET", "/static/{file_path:path}"),
    ("GET", "/schema"),
    ("GET", "/developers"),
    ("GET", "/schema/openapi.json"),
    ("GET", "/schema/{path:str}"),
    ("GET", "/cases.geojson"),
    ("GET", "/cases.atom"),
    ("GET", "/cases.csv"),
    ("GET", "/cases/{number:str}/feed"),
    ("POST", "/cases/{number:str}/support"),
    ("GET", "/report/similar"),
    ("GET", "/representatives/suggestions"),
    ("GET", "/representatives/suggestions/{number:str}"),
    ("GET", "/representatives/attachments/{key:str}"),
    ("GET", "/departments"),
    ("GET", "/departments/figures.csv"),
    ("GET", "/departments/{department_id:str}"),
    ("GET", "/trends"),
    ("GET", "/answers"),
    ("GET", "/answers/{entry_id:str}"),
    ("POST", "/report/answers"),
}


def test_every_route_is_classified():
    routes = {
        (method, route.path)
        for route in create_app(database_pool=False).routes
        for method in getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}
    }
    assert routes == set(STAFF_ROUTES) | PUBLIC_ROUTES | set(API_ROUTES)  # API_ROUTES: machines, with keys


@pytest.fixture
async def people(person, new_client, categories):
    water = categories["water"].department
    crowd = {
        "anonymous": Person(await new_client()),
        "citizen": Person(await new_client()),
        "admin": await person("admin"),
        "moderator": await person("moderator"),
        "handler": await person("handler", department_id=water),
        "leader": await person("leader"),
        "representative": await person("representative", body="npc", level="city", constituency="第一选区"),
    }
    await crowd["citizen"].client.get("/report")  # a citizen has been here, but has no account
    return crowd


# An action of each role's own on a case (the workflow refuses the others' by role, also 403).
OWN_ACTION = {"leader": "instruct"}


def concrete(path: str, case_number: str, who: str = "") -> str:
    return (
        path.replace("{passkey_id:str}", "999999")
        .replace("{entry_id:str}", "999999")
        .replace("{rating_id:str}", "999999")
        .replace("{action:str}", OWN_ACTION.get(who, "post_internal_note"))
        .replace("{account_id:str}", "999999")
        .replace("{department_id:str}", "999999")
        .replace("{category_id:str}", "999999")
        .replace("{area_id:str}", "999999")
        .replace("{rule_id:str}", "999999")
        .replace("{case_id:str}", "999999")
        .replace("{key_id:str}", "999999")
        .replace("{question_id:str}", "999999")
        .replace("{template_id:str}", "999999")
        .replace("{view_id:str}", "999999")
        .replace("{device_id:str}", "999999")
        .replace("{notice:str}", "accepted")
        .replace("{number:str}", case_number)
    )


async def test_each_staff_route_admits_exactly_its_roles(people, settings, categories):
    number = await filed_case(settings, categories)
    await bring_to(number, Status.assigned, categories["water"].department)
    for (method, path), allowed in STAFF_ROUTES.items():
        for who, someone in people.items():
            url = concrete(path, number, who)
            if method == "GET":
                response = await someone.client.get(url)
            else:
                response = await someone.post_json(url) if "passkeys" in url or "confirm" in url else await someone.post_form(url)
            label = f"{method} {url} as {who}: {response.status_code}"
            if who in allowed:
                assert response.status_code not in (401, 403), label
                assert not response.headers.get("location", "").startswith("/login"), label
            elif who in ("anonymous", "citizen"):
                if method == "GET":
                    assert response.status_code == 303, label
                    assert response.headers["location"].startswith("/login?next="), label
                else:
                    assert response.status_code == 401, label
            else:
                assert response.status_code == 403, label


async def test_no_role_reads_the_metrics_that_no_setting_offers(people):
    for who, someone in people.items():
        assert (await someone.client.get("/metrics")).status_code == 404, who


async def test_a_handler_never_sees_another_departments_cases(person, settings, categories):
    water, roads = categories["water"].department, categories["roads"].department
    water_case = await filed_case(settings, categories, title="水管爆裂")
    roads_case = (await filed_case(settings, categories, title="路面塌陷"))
    await bring_to(water_case, Status.assigned, water)
    await bring_to(roads_case, Status.assigned, roads)
    handler = await person("handler", department_id=water)
    workspace = await handler.client.get("/department")
    assert "水管爆裂" in workspace.text and "路面塌陷" not in workspace.text
    assert (await handler.client.get(f"/staff/cases/{water_case}")).status_code == 200
    other = await handler.client.get(f"/staff/cases/{roads_case}")
    assert other.status_code == 404 and "路面塌陷" not in other.text
    # Unassigned cases belong to no department yet: not the handler's either.
    fresh = await filed_case(settings, categories, title="刚刚提交的新案件")
    assert (await handler.client.get(f"/staff/cases/{fresh}")).status_code == 404
    moderator = await person("moderator")
    assert (await moderator.client.get(f"/staff/cases/{roads_case}")).status_code == 200


async def test_staff_reveal_the_filers_contact_details_and_the_public_never_sees_them(person, settings, categories, client):
    number = await filed_case(settings, categories, filer_name="李明", filer_phone="13800138000")
    await bring_to(number, Status.assigned, categories["water"].department)
    moderator = await person("moderator")
    staff_page = await moderator.post_form(f"/staff/cases/{number}/contact", {"reason": "verify"})
    assert "李明" in staff_page.text and "13800138000" in staff_page.text
    assert staff_page.headers["cache-control"] == "private, no-store"
    public_page = await client.get(f"/cases/{number}")
    assert public_page.status_code == 200 and "13800138000" not in public_page.text


async def test_no_staff_page_or_api_read_shows_the_filers_contact_without_a_reveal(people, client, api_key, settings, categories):
    """Every GET route of the staff pages as every role, and every GET of the API with each staff
    key, before and after a reveal: the full name and phone appear only in the reveal's answer."""
    number = await filed_case(settings, categories, filer_name="李明", filer_phone="13800138000")
    await bring_to(number, Status.assigned, categories["water"].department)
    keys = [bearer(await api_key("moderator")), bearer(await api_key(f"staff:{categories['water'].department}"))]
    api_reads = [path for method, path in API_ROUTES if method == "GET" and path.startswith("/api/")]

    async def nothing_shown(when: str) -> None:
        for (method, path), allowed in STAFF_ROUTES.items():
            if method != "GET" or path.endswith("/events"):  # event streams stay open; they carry counts
                continue
            for who in allowed:
                response = await people[who].client.get(concrete(path, number, who))
                assert "13800138000" not in response.text and "李明" not in response.text, f"{when}: {path} as {who}"
        for path in api_reads:
            for headers in keys:
                response = await client.get(path.replace("{number:str}", number).replace("{token:str}", "x"), headers=headers)
                assert "13800138000" not in response.text and "李明" not in response.text, f"{when}: {path}"

    await nothing_shown("before a reveal")
    revealed = await people["handler"].post_form(f"/staff/cases/{number}/contact", {"reason": "contact"})
    assert "13800138000" in revealed.text
    await nothing_shown("after a reveal")


async def test_each_role_lands_on_its_own_home(person, categories):
    homes = {
        "admin": "/admin/accounts",
        "moderator": "/moderation",
        "handler": "/department",
        "leader": "/leader",
        "representative": "/representatives",
    }
    extra = {"handler": {"department_id": categories["water"].department}, "representative": {"body": "cppcc", "level": "county", "constituency": "界别：经济"}}
    for role, home in homes.items():
        someone = await person(role, sign_in=False, **extra.get(role, {}))
        assert (await someone.sign_in()).json() == {"redirect": home}
        page = await someone.client.get(home, follow_redirects=True)
        assert page.status_code == 200
        assert "Sign out" in page.text
        assert (await someone.client.get("/login")).headers["location"] == home
