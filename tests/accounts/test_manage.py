"""Managing one's passkeys, and what admins do with accounts: with the audit log behind both."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta

from backend import clock
from backend.accounts.audit import recent
from backend.accounts.passkeys import passkeys_of, remove
from backend.accounts.sessions import FRESH_CHECK_VALID
from backend.accounts.services import AccountError, get_account, open_invitation
from backend.accounts.tables import Account, AuditEvent, Passkey
from backend.web.errors import status_of
from tests.people import Person
from tests.authenticator import SoftwareAuthenticator
from tests.support import PROJECT_ROOT


async def add_passkey(someone: Person, name: str = "office computer"):
    options = await someone.options("/account/passkeys/options")
    assert {item["id"] for item in options["excludeCredentials"]}  # no second passkey on the same device
    return await someone.post_json("/account/passkeys", {"credential": someone.authenticator.create(options), "name": name})


async def test_adding_a_passkey_needs_a_fresh_check(person):
    someone = await person("leader")
    # Just signed in: that was the check.
    assert (await add_passkey(someone)).status_code == 200
    assert [p.name for p in await passkeys_of(someone.account_id)] == ["test phone", "office computer"]
    later = clock.now() + FRESH_CHECK_VALID + timedelta(minutes=1)
    with clock.travel_to(later):
        refused = await someone.post_json("/account/passkeys/options")
        assert refused.status_code == 403
        assert "Confirm it is you" in refused.json()["message"]
        page = await someone.client.get("/account/passkeys")
        assert "Confirm it is you" in page.text
        assert (await someone.confirm()).status_code == 200
        assert (await add_passkey(someone, "tablet")).status_code == 200
    assert len(await passkeys_of(someone.account_id)) == 3


async def test_a_fresh_check_must_use_ones_own_passkey(person):
    someone = await person("leader")
    other = await person("leader")
    with clock.travel_to(clock.now() + FRESH_CHECK_VALID + timedelta(minutes=1)):
        options = await someone.options("/account/confirm/options")
        assert len(options["allowCredentials"]) == 1
        response = await someone.post_json("/account/confirm", {"credential": other.authenticator.get(options)})
        assert response.status_code == 400
        assert (await someone.post_json("/account/passkeys/options")).status_code == 403


async def test_rename_and_remove_but_never_the_last(person):
    someone = await person("moderator")
    only = (await passkeys_of(someone.account_id))[0]
    response = await someone.post_form(f"/account/passkeys/{only.id}/remove")
    assert response.status_code == 409 and "only passkey" in response.text
    await add_passkey(someone)
    second = (await passkeys_of(someone.account_id))[1]
    assert (await someone.post_form(f"/account/passkeys/{only.id}/rename", {"name": "旧手机"})).status_code == 303
    assert (await passkeys_of(someone.account_id))[0].name == "旧手机"
    assert (await someone.post_form(f"/account/passkeys/{only.id}/rename", {"name": "  "})).status_code == 400
    with clock.travel_to(clock.now() + FRESH_CHECK_VALID + timedelta(minutes=1)):
        assert (await someone.post_form(f"/account/passkeys/{only.id}/remove")).status_code == 403
    assert (await someone.post_form(f"/account/passkeys/{only.id}/remove")).status_code == 303
    assert [p.id for p in await passkeys_of(someone.account_id)] == [second.id]
    # The removed passkey no longer signs in; the other one does.
    await someone.post_form("/logout")
    assert (await someone.sign_in(credential=someone.authenticator.credentials[0])).status_code == 400
    assert (await someone.sign_in(credential=someone.authenticator.credentials[1])).status_code == 200


async def test_nobody_touches_another_persons_passkeys(person):
    someone = await person("moderator")
    other = await person("moderator")
    await add_passkey(other)
    theirs = (await passkeys_of(other.account_id))[0]
    assert (await someone.post_form(f"/account/passkeys/{theirs.id}/rename", {"name": "mine now"})).status_code == 404
    assert (await someone.post_form(f"/account/passkeys/{theirs.id}/remove")).status_code == 404
    assert len(await passkeys_of(other.account_id)) == 2


async def test_admin_invites_with_the_right_details_and_sees_errors_in_place(person, categories):
    admin = await person("admin")
    response = await admin.post_form("/admin/accounts", {"name": "赵办理", "role": "handler", "department_id": ""})
    assert response.status_code == 422
    assert "赵办理" in response.text and "Choose the handler" in response.text
    response = await admin.post_form(
        "/admin/accounts", {"name": "赵办理", "role": "handler", "department_id": str(categories["water"].department)}
    )
    assert response.status_code == 201
    assert "http://localhost:8000/invitations/" in response.text
    response = await admin.post_form("/admin/accounts", {"name": "钱代表", "role": "representative", "body": "npc", "level": "city"})
    assert response.status_code == 422 and "Enter the constituency" in response.text
    response = await admin.post_form(
        "/admin/accounts",
        {"name": "钱代表", "role": "representative", "body": "npc", "level": "city", "constituency": "第三选区"},
    )
    assert response.status_code == 201
    for hostile in ({"role": "superuser", "name": "x"}, {"role": "handler", "name": "x", "department_id": "9" * 40}, {"name": "x" * 500, "role": "leader"}):
        assert (await admin.post_form("/admin/accounts", hostile)).status_code == 422


async def test_reinvitation_after_losing_every_device(person, new_client):
    lost = await person("moderator")
    admin = await person("admin")
    response = await admin.post_form(f"/admin/accounts/{lost.account_id}/reinvite", {"revoke_passkeys": "yes"})
    assert response.status_code == 201
    token = response.text.split("/invitations/")[1].split('"')[0]
    # The lost device signs in no more, and its session has ended.
    assert (await lost.client.get("/moderation")).status_code == 303
    assert await Passkey.count().where(Passkey.account == lost.account_id) == 0
    found_again = Person(await new_client(), SoftwareAuthenticator())
    assert (await found_again.enrol(token)).status_code == 200
    assert (await found_again.client.get("/moderation")).status_code == 200


async def test_a_new_invitation_replaces_the_open_one(person):
    admin = await person("admin")
    first = await admin.post_form("/admin/accounts", {"name": "孙", "role": "leader"})
    first_token = first.text.split("/invitations/")[1].split('"')[0]
    account_id = (await open_invitation(first_token)).account.id
    second = await admin.post_form(f"/admin/accounts/{account_id}/reinvite")
    assert second.status_code == 201
    assert (await admin.client.get(f"/invitations/{first_token}")).status_code == 404


async def test_an_admin_cannot_disable_themselves(person):
    admin = await person("admin")
    response = await admin.post_form(f"/admin/accounts/{admin.account_id}/disable")
    assert response.status_code == 409
    assert (await admin.client.get("/admin/accounts")).status_code == 200


async def test_the_audit_log_records_every_step_and_admins_read_it(person):
    someone = await person("moderator")  # invited, enrolled
    await someone.post_form("/logout")
    await someone.sign_in()
    await someone.sign_in(origin="http://evil.example")  # refused
    admin = await person("admin")
    await admin.post_form(f"/admin/accounts/{someone.account_id}/disable")
    actions = [event.action for event in reversed(await recent())]
    assert actions[:5] == ["invited", "enrolled", "signed_out", "signed_in", "sign_in_failed"]
    assert actions[-1] == "disabled"
    page = await admin.client.get("/admin/audit")
    assert page.status_code == 200 and "Account disabled" in page.text and "Sign-in refused" in page.text
    assert (await someone.client.get("/admin/audit")).status_code == 303  # signed out by now
    moderator = await person("moderator")
    assert (await moderator.client.get("/admin/audit")).status_code == 403


async def test_the_audit_log_has_no_way_to_change_it():
    """Append-only by construction: nothing updates an entry, and one place deletes, by age
    alone (the retention period, ``audit.forget_old``)."""
    sources = {path: path.read_text() for path in (PROJECT_ROOT / "backend").rglob("*.py")}
    assert not [path for path, source in sources.items() if "AuditEvent.update" in source]
    deleting = {path.relative_to(PROJECT_ROOT).as_posix(): source.count("AuditEvent.delete") for path, source in sources.items() if "AuditEvent.delete" in source}
    assert deleting == {"backend/accounts/audit.py": 1}
    assert "AuditEvent.delete().where(AuditEvent.created_at < cutoff)" in sources[PROJECT_ROOT / "backend/accounts/audit.py"]
    assert AuditEvent._meta.tablename == "audit_event"


async def test_sign_in_failures_are_rate_limited_without_telling_who_exists(person):
    someone = await person(sign_in=False)
    stranger = Person(someone.client, SoftwareAuthenticator())
    stranger.authenticator.create({"rp": {"id": "localhost"}, "user": {"id": "c3RyYW5nZXI"}, "challenge": "eA"})
    early_options = await someone.options("/login/options")
    messages = set()
    for attempt in range(10):
        # Alternate a real account's passkey with a bad origin and a passkey nobody has.
        response = await (someone.sign_in(origin="http://evil.example") if attempt % 2 else stranger.sign_in())
        assert response.status_code == 400
        messages.add(response.json()["message"])
    assert len(messages) == 1
    # Even the right passkey now waits.
    blocked = await someone.post_json("/login", {"credential": someone.authenticator.get(early_options)})
    assert blocked.status_code == 429
    assert "Try again in 15 minutes" in blocked.json()["message"]
    assert int(blocked.headers["retry-after"]) > 800
    assert (await someone.post_json("/login/options")).status_code == 429
    assert [e.action for e in await recent(page_size=3)][:2] == ["sign_in_throttled", "sign_in_failed"]


def test_minsheng_invite_prints_a_one_time_url(database):
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "invite", "--role", "admin", "--name", "第一位管理员"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "第一位管理员" in result.stdout
    assert "http://localhost:8000/invitations/" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "backend.cli", "invite", "--role", "handler", "--name", "x", "--department", "nowhere"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "department" in bad.stderr


async def test_removing_a_passkey_signs_out_the_other_devices(person, new_client):
    someone = await person("moderator")
    await add_passkey(someone)
    laptop = Person(await new_client(), someone.authenticator)
    assert (await laptop.sign_in(credential=someone.authenticator.credentials[1])).status_code == 200
    assert (await laptop.client.get("/moderation")).status_code == 200
    first = (await passkeys_of(someone.account_id))[1]
    response = await someone.post_form(f"/account/passkeys/{first.id}/remove")
    assert response.status_code == 303 and response.headers["location"] == "/account/passkeys?removed=1"
    assert (await laptop.client.get("/moderation")).status_code == 303
    assert (await someone.client.get("/moderation")).status_code == 200  # the person who removed it goes on


async def test_two_removals_at_once_leave_one_passkey(person):
    someone = await person("moderator")
    await add_passkey(someone)
    account = await get_account(someone.account_id)
    ids = [p.id for p in await passkeys_of(someone.account_id)]
    results = await asyncio.gather(*(remove(account, passkey_id) for passkey_id in ids), return_exceptions=True)
    assert len(await passkeys_of(someone.account_id)) == 1
    assert sum(isinstance(result, AccountError) and status_of(result) == 409 for result in results) == 1


async def test_ids_out_of_range_are_client_errors(person):
    admin = await person("admin")
    for url in (
        "/account/passkeys/99999999999999999999/rename",
        "/account/passkeys/9999999999/remove",
        "/account/passkeys/-1/rename",
        "/admin/accounts/9999999999/disable",
        "/admin/accounts/99999999999999999999/reinvite",
    ):
        assert (await admin.post_form(url, {"name": "x"})).status_code == 400, url
    assert (await admin.client.get("/admin/audit?before=99999999999999")).status_code == 400
    assert (await admin.client.get("/admin/audit?before=abc")).status_code == 400


async def test_asking_for_sign_in_challenges_is_rate_limited(person):
    someone = await person(sign_in=False)
    statuses = [(await someone.post_json("/login/options")).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


async def test_a_handler_without_a_department_sees_nothing(person, categories):
    handler = await person("handler", department_id=categories["water"].department)
    await Account.update({Account.department: None}).where(Account.id == handler.account_id)
    assert (await handler.client.get("/department")).status_code == 403
