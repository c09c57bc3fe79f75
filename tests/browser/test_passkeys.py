"""From `minsheng invite` to enrolment, sign-out and passkey sign-in, in Debian's Chromium with
the DevTools virtual authenticator (a platform authenticator with resident keys and user
verification, as on a phone)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from playwright.sync_api import BrowserContext, Page, expect

from backend import cli
from tests.browser.test_filing import assert_no_csp_violations
from tests.support import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Browsers without passkey autofill (conditional mediation) answer false here.
NO_PASSKEY_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = async () => false;"


def invitation_url(origin: str, role: str, name: str, *extra: str) -> str:
    """The URL that `minsheng invite` prints, the command run in this process (in a thread of its
    own: it runs its own event loop). The tests that start from the command start a real one
    (``invite_from_the_command_line``); a new Python process costs one or two seconds of CPU."""
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(CliRunner().invoke, cli.main, ["invite", "--role", role, "--name", name, *extra]).result()
    assert result.exit_code == 0, result.output
    return f"{origin}/invitations/{result.output.strip().splitlines()[-1].rsplit('/', 1)[1]}"


def invite_from_the_command_line(origin: str, role: str, name: str, *extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "invite", "--role", role, "--name", name, *extra],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MINSHENG_ORIGIN": origin},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith(f"{origin}/invitations/")
    return url


def with_virtual_authenticator(context: BrowserContext, page: Page) -> tuple[object, str]:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, authenticator["authenticatorId"]


def sign_out(page) -> None:
    """On a phone, signing out is in the navigation's menu."""
    menu = page.locator(".nav-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    page.get_by_role("button", name="退出登录").click()


def test_invitation_enrolment_sign_out_and_passkey_sign_in(live_server, phone):
    invitation = invite_from_the_command_line(live_server.url, "admin", "王管理")
    page = phone.new_page()
    cdp, authenticator_id = with_virtual_authenticator(phone, page)

    page.goto(invitation)
    expect(page.get_by_role("heading", name="欢迎，王管理")).to_be_visible()
    page.get_by_label("为此设备命名（可选）").fill("我的手机")
    page.get_by_role("button", name="创建通行密钥并登录").click()
    expect(page).to_have_url(f"{live_server.url}/admin/accounts")
    page.locator(".nav-menu summary").click()
    expect(page.get_by_text("当前登录：王管理")).to_be_visible()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    # The invitation was used up.
    page.goto(invitation)
    expect(page.get_by_role("heading", name="此邀请链接已无法使用。请向管理员索取新的邀请。")).to_be_visible()

    page.goto(f"{live_server.url}/account/passkeys")
    expect(page.get_by_role("heading", name="我的手机")).to_be_visible()

    # Signing out lands on the sign-in page, where the browser offers the passkey in its
    # autofill; the virtual authenticator accepts at once, so this signs straight back in.
    sign_out(page)
    expect(page).to_have_url(f"{live_server.url}/admin/accounts")
    page.locator(".nav-menu summary").click()
    expect(page.get_by_text("当前登录：王管理")).to_be_visible()

    # Where the browser has no passkey autofill, the button does it.
    page.add_init_script(NO_PASSKEY_AUTOFILL)
    sign_out(page)
    expect(page).to_have_url(f"{live_server.url}/login?signed_out=1")
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    page.goto(f"{live_server.url}/admin/accounts")
    expect(page).to_have_url(f"{live_server.url}/login?next=%2Fadmin%2Faccounts")
    page.get_by_role("button", name="用通行密钥登录").click()
    expect(page).to_have_url(f"{live_server.url}/admin/accounts")
    expect(page.get_by_role("heading", name="账号", exact=True)).to_be_visible()
    assert_no_csp_violations(page)


def enrolled_admin(live_server, phone) -> Page:
    """王管理, invited from the command line and enrolled on this phone: signed in."""
    invitation = invite_from_the_command_line(live_server.url, "admin", "王管理")
    page = phone.new_page()
    with_virtual_authenticator(phone, page)
    page.goto(invitation)
    page.get_by_role("button", name="创建通行密钥并登录").click()
    expect(page).to_have_url(f"{live_server.url}/admin/accounts")
    return page


def test_admin_invites_a_handler_who_enrols_on_their_own_phone(live_server, browser, phone):
    admin_page = enrolled_admin(live_server, phone)

    admin_page.get_by_label("姓名").fill("赵办理")
    admin_page.get_by_label("角色").select_option(label="部门承办人")
    admin_page.get_by_label("承办单位", exact=True).select_option(label="市自来水公司")
    admin_page.get_by_role("button", name="创建邀请").click()
    link = admin_page.get_by_label("邀请链接").input_value()
    assert link.startswith(f"{live_server.url}/invitations/")

    handler_phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        handler_page = handler_phone.new_page()
        with_virtual_authenticator(handler_phone, handler_page)
        handler_page.goto(link)
        handler_page.get_by_role("button", name="创建通行密钥并登录").click()
        expect(handler_page).to_have_url(f"{live_server.url}/department")
        expect(handler_page.get_by_role("heading", name="市自来水公司")).to_be_visible()
        # A handler is no admin.
        response = handler_page.goto(f"{live_server.url}/admin/accounts")
        assert response.status == 403
    finally:
        handler_phone.close()


def test_the_button_and_the_autofill_never_both_sign_in(live_server, phone):
    """The autofill's ceremony waits (its options are slow to come) while the person presses the
    button: the button's ceremony runs alone, and the autofill's never posts a second sign-in."""
    page = enrolled_admin(live_server, phone)
    held_options, sign_ins = [], []

    def hold(route):
        if route.request.method != "POST":
            route.continue_()
        elif route.request.url.endswith("/login/options") and not held_options:
            held_options.append(route)  # the autofill's: the first asked for on the sign-in page
        elif route.request.url.endswith("/login"):
            sign_ins.append(route)
        else:
            route.continue_()

    page.route(lambda url: "/login" in url, hold)
    sign_out(page)
    expect(page).to_have_url(f"{live_server.url}/login?signed_out=1")
    while not held_options:
        page.wait_for_timeout(100)
    page.get_by_role("button", name="用通行密钥登录").click()
    while not sign_ins:
        page.wait_for_timeout(100)
    held_options[0].continue_()  # now the autofill's options arrive
    page.wait_for_timeout(2000)
    assert len(sign_ins) == 1, "one ceremony at a time: a single sign-in"
    sign_ins[0].continue_()
    expect(page).to_have_url(f"{live_server.url}/admin/accounts")
    page.locator(".nav-menu summary").click()
    expect(page.get_by_text("当前登录：王管理")).to_be_visible()
