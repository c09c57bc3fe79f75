"""Every page, as the person who uses it, in Chromium, in Chinese and in English: axe-core finds
no WCAG 2.2 AA violation, the page causes no Content-Security-Policy violation, and it reflows
into 320 CSS pixels without sideways scrolling (what 400 % zoom leaves of a desktop window),
even with its text twice as large.

Every GET route of the app is either a page in ``PAGES`` or named in ``NOT_PAGES``, so a new
page cannot go unchecked.
"""

from __future__ import annotations

import json

import pytest
from playwright.async_api import async_playwright

from backend.accounts.services import get_account
from backend.app import create_app
from backend.knowledge import services as knowledge
from backend.knowledge.services import EntryForm
from backend.notifications import alerts, subscriptions
from backend.vocabulary import Status
from backend.representatives import services as suggestions
from backend.settings import get_settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, RECORD_CSP_VIOLATIONS
from tests.cases.test_filing import file, form
from tests.cases.test_lifecycle import bring_to
from tests.knowledge.helpers import MODERATOR, entry as knowledge_entry, template as reply_template
from tests.people import invite
from tests.representatives.helpers import answered, suggestion_form
from tests.routing.helpers import rule as routing_rule
from tests.support import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Only violations are read: axe then builds selectors for no other kind of result (passes,
# incomplete), which took a third of its time on these pages.
AXE_OPTIONS = json.dumps({"runOnly": AXE_TAGS, "resultTypes": ["violations"]})

# What sticks out past the window's right edge, innermost first: the culprit of a reflow failure.
STICKING_OUT = """Array.from(document.body.querySelectorAll('*'))
  .filter(e => e.getBoundingClientRect().right > innerWidth
    && !(e.parentElement && e.parentElement.closest('.table-scroll, .map-canvas'))
    && !Array.from(e.children).some(c => c.getBoundingClientRect().right > innerWidth))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' "' + e.textContent.trim().slice(0, 40) + '"')"""

# route → (who looks at it, the path with real values). Roles sign in; None is the public.
PAGES = {
    "/": (None, "/"),
    "/cases": (None, "/cases"),
    "/cases/{number:str}": (None, "/cases/{number}"),
    "/report": (None, "/report"),
    "/follow/{token:str}": (None, "/follow/{token}"),
    "/follow/{token:str}/notifications": (None, "/follow/{token}/notifications"),
    "/my-cases": (None, "/my-cases"),
    "/cases/{number:str}/notifications": (None, "/cases/{number}/notifications"),
    "/notifications/verify/{signed:str}": (None, "/notifications/verify/{verify}"),
    "/notifications/unsubscribe/{signed:str}": (None, "/notifications/unsubscribe/{unsubscribe}"),
    "/notifications/staff-verify/{signed:str}": (None, "/notifications/staff-verify/{staff_verify}"),
    "/notifications/staff-unsubscribe/{signed:str}": (None, "/notifications/staff-unsubscribe/{staff_unsubscribe}"),
    "/alerts": (None, "/alerts?area=lianchi&category=water"),
    "/alerts/verify/{signed:str}": (None, "/alerts/verify/{alert_verify}"),
    "/alerts/unsubscribe/{signed:str}": (None, "/alerts/unsubscribe/{alert_unsubscribe}"),
    "/login": (None, "/login"),
    "/offline": (None, "/offline"),
    "/departments": (None, "/departments"),
    "/departments/{department_id:str}": (None, "/departments/{department_id}"),
    "/trends": (None, "/trends"),
    "/developers": (None, "/developers"),
    "/invitations/{token:str}": (None, "/invitations/{invitation}"),
    "/account/passkeys": ("handler", "/account/passkeys"),
    "/account/notifications": ("handler", "/account/notifications"),
    "/admin": ("admin", "/admin"),
    "/admin/accounts": ("admin", "/admin/accounts"),
    "/admin/audit": ("admin", "/admin/audit"),
    "/admin/personal-data": ("admin", "/admin/personal-data"),
    "/admin/api-keys": ("admin", "/admin/api-keys"),
    "/admin/areas": ("admin", "/admin/areas"),
    "/admin/areas/{area_id:str}": ("admin", "/admin/areas/{area_id}"),
    "/admin/calendar": ("admin", "/admin/calendar"),
    "/admin/routing": ("admin", "/admin/routing"),
    "/admin/routing/returns": ("admin", "/admin/routing/returns"),
    "/admin/routing/{rule_id:str}": ("admin", "/admin/routing/{rule}"),
    "/admin/categories": ("admin", "/admin/categories"),
    "/admin/categories/{category_id:str}": ("admin", "/admin/categories/{category_id}"),
    "/admin/deadlines": ("admin", "/admin/deadlines"),
    "/admin/escalation": ("admin", "/admin/escalation"),
    "/admin/notifications": ("admin", "/admin/notifications"),
    "/admin/notifications/wordings": ("admin", "/admin/notifications/wordings"),
    "/admin/notifications/wordings/{notice:str}": ("admin", "/admin/notifications/wordings/answered"),
    "/admin/departments": ("admin", "/admin/departments"),
    "/admin/departments/{department_id:str}": ("admin", "/admin/departments/{department_id}"),
    "/moderation": ("moderator", "/moderation"),
    "/moderation/intake": ("moderator", "/moderation/intake"),
    "/moderation/ratings": ("moderator", "/moderation/ratings"),
    "/moderation/callbacks": ("moderator", "/moderation/callbacks"),
    "/moderation/review": ("moderator", "/moderation/review"),
    "/staff/cases/{number:str}": ("moderator", "/staff/cases/{number}"),
    "/staff/search": ("moderator", "/staff/search?status=answered&phone=13800138000"),
    "/department": ("handler", "/department"),
    "/leader": ("leader", "/leader"),
    "/representatives": ("representative", "/representatives"),
    "/representatives/new": ("representative", "/representatives/new"),
    "/representatives/drafts/{case_id:str}": ("representative", "/representatives/drafts/{draft_id}"),
    "/representatives/suggestions": (None, "/representatives/suggestions"),
    "/representatives/suggestions/{number:str}": (None, "/representatives/suggestions/{suggestion}"),
    "/moderation/suggestions": ("moderator", "/moderation/suggestions"),
    "/department/suggestions": ("handler", "/department/suggestions"),
    "/answers": (None, "/answers"),
    "/answers/{entry_id:str}": (None, "/answers/{entry}"),
    "/staff/knowledge": ("moderator", "/staff/knowledge"),
    "/staff/knowledge/new": ("handler", "/staff/knowledge/new"),
    "/staff/knowledge/{entry_id:str}": ("moderator", "/staff/knowledge/{entry}"),
    "/staff/knowledge/{entry_id:str}/history": ("moderator", "/staff/knowledge/{entry}/history"),
    "/staff/templates": ("moderator", "/staff/templates"),
    "/staff/templates/{template_id:str}": ("moderator", "/staff/templates/{template}"),
}
# Not pages: streams, files, and the app's own machinery.
NOT_PAGES = {
    "/cases/{number:str}/events",
    "/follow/{token:str}/events",
    "/moderation/events",
    "/moderation/review/events",
    "/department/events",
    "/staff/events",
    "/media/{name:str}",
    "/static/{file_path:path}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/manifest.webmanifest",
    "/sw.js",
    "/cases.atom",
    "/cases/{number:str}/feed",
    "/cases.geojson",
    "/cases.csv",
    "/staff/search.csv",
    "/departments/figures.csv",
    "/report/similar",  # a fragment of the report form, checked there
    "/follow/{token:str}/export.zip",  # the filer's copy, a ZIP
    "/representatives/attachments/{key:str}",  # PDF downloads
    "/schema",  # the OpenAPI schema as JSON; the reference for people is /developers
    "/schema/openapi.json",
    "/schema/{path:str}",
}
API_PREFIXES = ("/api/", "/open311/")  # machines' routes: tests/api, tests/open311


def test_every_page_is_checked():
    routes = {route.path for route in create_app(database_pool=False).routes if "GET" in getattr(route, "methods", ())}
    assert {route for route in routes - NOT_PAGES if not route.startswith(API_PREFIXES)} == set(PAGES)


async def world(categories, areas) -> dict[str, str]:
    """A case answered and awaiting the citizen's rating (public, with a photo-free timeline), an
    open invitation, and the ids the admin pages need."""
    settings = get_settings()
    filed = await file(settings, form(categories["water"], area_id=str(areas["jingxiu"])))
    await bring_to(filed.number, Status.replied, categories["water"].department)
    subscription_id = await subscriptions.subscribe_email(filed.follow_token, "filer@example.com", "zh_CN")
    alert_id = await alerts.subscribe_email(alerts.Topic("lianchi", "water"), "neighbour@example.com", "zh_CN")
    colleague = await invite("handler", "李科员", department_id=categories["water"].department)
    staff_email_id = await subscriptions.add_staff_email(colleague.account_id, "li@water.example.cn", "zh_CN")
    return {
        "number": filed.number,
        "token": filed.follow_token,
        "verify": subscriptions.signed("verify", subscription_id),
        "unsubscribe": subscriptions.signed("unsubscribe", subscription_id),
        "alert_verify": subscriptions.signed(alerts.VERIFY_PURPOSE, alert_id),
        "staff_verify": subscriptions.signed(subscriptions.STAFF_VERIFY_PURPOSE, staff_email_id),
        "staff_unsubscribe": subscriptions.signed(subscriptions.STAFF_UNSUBSCRIBE_PURPOSE, staff_email_id),
        "alert_unsubscribe": subscriptions.signed(alerts.UNSUBSCRIBE_PURPOSE, alert_id),
        "invitation": (await invite("handler", "新同事", department_id=categories["water"].department)).token,
        "area_id": str(areas["jingxiu"]),
        "category_id": str(categories["water"].id),
        "department_id": str(categories["water"].department),
        "entry": str(await _entry_with_history()),
        "template": str(await reply_template()),
        "rule": str(await routing_rule(categories["roads"].department, categories["roads"].id, areas["jingxiu"], automatic=True)),
    }


async def _entry_with_history() -> int:
    """An entry of the knowledge base in both languages, changed once, and due for review."""
    entry_id = await knowledge_entry(question_en="How do I get a residence permit?", answer_en="At the police station, with your ID card.")
    changed = EntryForm(
        question="居住证怎么办理？", answer="可在政务服务网上办理，五个工作日寄达。", question_en="How do I get a residence permit?",
        answer_en="Online, on the government services site.", public="yes", review_by=knowledge.today().isoformat(),
    )
    return await knowledge.save_entry(entry_id, changed, MODERATOR)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_no_accessibility_or_policy_violation_on_any_page(live_server, person, categories, areas, locale):
    values = await world(categories, areas)
    people = {}
    extra = {
        "handler": {"department_id": categories["water"].department},
        "representative": {"body": "npc", "level": "city", "constituency": "第一选区"},
    }
    for role in {role for role, _ in PAGES.values() if role}:
        people[role] = await person(role, **extra.get(role, {}))
    # The representative's own suggestion, answered (rating form open), and a draft.
    lead = await get_account(people["representative"].account_id)
    values["suggestion"] = await answered(get_settings(), categories, lead)
    values["draft_id"] = str(await suggestions.create_draft(suggestion_form(categories["water"], title="草稿建议"), lead))
    axe = AXE.read_text()
    found = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for role in {role for role, _ in PAGES.values()}:
                # 320 CSS pixels: WCAG's reflow width (a 1280-pixel window at 400 % zoom).
                context = await browser.new_context(locale=locale, viewport={"width": 320, "height": 640})
                await context.add_init_script(RECORD_CSP_VIOLATIONS)
                if role:
                    cookies = dict(people[role].client.cookies)
                    await context.add_cookies([{"name": k, "value": v, "url": live_server.url} for k, v in cookies.items()])
                page = await context.new_page()
                for route, path in [(route, path) for route, (who, path) in PAGES.items() if who == role]:
                    response = await page.goto(live_server.url + path.format(**values))
                    assert response.status == 200, (route, response.status)
                    await page.evaluate(axe)  # by DevTools, not a script element: the CSP still holds
                    result = await page.evaluate(f"axe.run(document, {AXE_OPTIONS})")
                    violations = [
                        f"{v['id']}: {v['help']} — " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                        for v in result["violations"]
                    ]
                    csp = await page.evaluate("window.__cspViolations || []")
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    reflow = [f"reflow: {width} px wide at 320", *await page.evaluate(STICKING_OUT)] if width > 320 else []
                    # Text twice as large (a phone's font-size setting, or 200 % text zoom): still no
                    # sideways scrolling.
                    width = await page.evaluate(
                        "document.documentElement.style.fontSize = '200%', document.documentElement.scrollWidth"
                    )
                    if width > 320:
                        reflow += [f"text at 200 %: {width} px wide at 320", *await page.evaluate(STICKING_OUT)]
                    if violations or csp or reflow:
                        found[route] = violations + [f"CSP: {c}" for c in csp] + reflow
                await context.close()
        finally:
            await browser.close()
    assert found == {}
