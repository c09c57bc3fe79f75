"""Enrolment and sign-in with passkeys: success, and every refusal the issue names."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from backend import clock
from backend.accounts import passkeys
from backend.accounts.guards import relying_party
from backend.accounts.passkeys import PasskeyRefused, Purpose
from backend.accounts.services import get_account, open_invitation
from backend.accounts.tables import Passkey
from tests.people import Person, invite
from tests.authenticator import SoftwareAuthenticator
from tests.support import CROSS_SITE

REFUSED_EN = "This passkey could not be used. Try again, or use another passkey."


async def test_invitation_enrols_a_passkey_and_signs_the_person_in(new_client):
    issued = await invite("moderator", "林审核")
    someone = Person(await new_client())
    page = await someone.client.get(f"/invitations/{issued.token}")
    assert page.status_code == 200 and "林审核" in page.text
    options = await someone.options(f"/invitations/{issued.token}/options")
    # A discoverable credential, with the user verified, for this site's RP ID.
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    credential = someone.authenticator.create(options)
    response = await someone.post_json(f"/invitations/{issued.token}", {"credential": credential, "name": "工作手机"})
    assert response.status_code == 200
    assert response.json() == {"redirect": "/moderation"}
    assert (await someone.client.get("/moderation")).status_code == 200
    rows = await Passkey.select(Passkey.name, Passkey.sign_count).where(Passkey.account == issued.account_id)
    assert rows == [{"name": "工作手机", "sign_count": 0}]


async def test_an_invitation_works_once(new_client):
    issued = await invite("moderator")
    first, second = Person(await new_client()), Person(await new_client())
    # Both open the link and start; only the first to finish gets the account.
    options_1 = await first.options(f"/invitations/{issued.token}/options")
    options_2 = await second.options(f"/invitations/{issued.token}/options")
    done = await first.post_json(f"/invitations/{issued.token}", {"credential": first.authenticator.create(options_1)})
    assert done.status_code == 200
    late = await second.post_json(f"/invitations/{issued.token}", {"credential": second.authenticator.create(options_2)})
    assert late.status_code == 404
    assert "cannot be used any more" in late.json()["message"]
    assert (await second.client.get(f"/invitations/{issued.token}")).status_code == 404
    assert await Passkey.count().where(Passkey.account == issued.account_id) == 1


async def test_invitations_expire_after_72_hours():
    issued = await invite("leader")
    assert await open_invitation(issued.token) is not None
    with clock.travel_to(clock.now() + timedelta(hours=72, seconds=1)):
        assert await open_invitation(issued.token) is None


@pytest.mark.parametrize(
    "misbehaviour",
    [
        {"origin": "http://evil.example"},
        {"rp_id": "evil.example"},
    ],
    ids=["wrong origin", "wrong RP ID"],
)
async def test_enrolment_from_elsewhere_is_refused(new_client, misbehaviour):
    issued = await invite("moderator")
    someone = Person(await new_client())
    response = await someone.enrol(issued.token, **misbehaviour)
    assert response.status_code == 400
    assert response.json()["message"] == REFUSED_EN
    assert await Passkey.count() == 0
    assert await open_invitation(issued.token) is not None  # the invitation still works


async def test_enrolment_without_user_verification_is_refused(new_client):
    issued = await invite("moderator")
    someone = Person(await new_client(), SoftwareAuthenticator(user_verification=False))
    assert (await someone.enrol(issued.token)).status_code == 400
    assert await Passkey.count() == 0


async def test_sign_in_with_a_discoverable_passkey(person):
    someone = await person("leader", sign_in=False)
    assert (await someone.client.get("/leader")).status_code == 303
    options = await someone.options("/login/options")
    assert options["allowCredentials"] == []  # nobody types a name; nothing reveals who exists
    assert options["userVerification"] == "required"
    response = await someone.post_json("/login", {"credential": someone.authenticator.get(options)})
    assert response.status_code == 200 and response.json() == {"redirect": "/leader"}
    assert (await someone.client.get("/leader")).status_code == 200


async def test_sign_in_returns_to_the_page_asked_for_but_only_on_this_site(person):
    someone = await person("moderator", sign_in=False)
    assert (await someone.sign_in(next="/staff/cases/2026-000001")).json() == {"redirect": "/staff/cases/2026-000001"}
    signed_out = await someone.post_form("/logout")
    # The app's offline copies of pages with this person's name go with the session.
    assert signed_out.headers["clear-site-data"] == '"cache", "storage"'
    for elsewhere in ("//evil.example/", "/\t/evil.example", "/\\evil.example", "https://evil.example/", "/\n/evil.example"):
        await someone.post_form("/logout")
        assert (await someone.sign_in(next=elsewhere)).json() == {"redirect": "/"}, elsewhere


async def refused(someone: Person, response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["message"] == REFUSED_EN
    assert (await someone.client.get("/moderation")).status_code == 303  # still signed out


async def test_a_replayed_response_is_refused(person):
    someone = await person(sign_in=False)
    options = await someone.options("/login/options")
    credential = someone.authenticator.get(options)
    assert (await someone.post_json("/login", {"credential": credential})).status_code == 200
    await someone.post_form("/logout")
    await refused(someone, await someone.post_json("/login", {"credential": credential}))


async def test_a_challenge_is_used_once_even_with_a_new_signature(person):
    someone = await person(sign_in=False)
    options = await someone.options("/login/options")
    assert (await someone.post_json("/login", {"credential": someone.authenticator.get(options)})).status_code == 200
    await someone.post_form("/logout")
    await refused(someone, await someone.post_json("/login", {"credential": someone.authenticator.get(options)}))


async def test_a_challenge_never_issued_is_refused(person):
    someone = await person(sign_in=False)
    await refused(someone, await someone.post_json("/login", {"credential": someone.authenticator.get({"challenge": "bm90LWlzc3VlZC1ieS10aGUtc2VydmVy"})}))


async def test_an_expired_challenge_is_refused(person, settings):
    someone = await person(sign_in=False)
    rp = relying_party(settings)
    options = json.loads(await passkeys.authentication_options(rp, Purpose.sign_in))
    credential = someone.authenticator.get(options)
    with clock.travel_to(clock.now() + passkeys.CEREMONY_TIMEOUT + timedelta(seconds=1)):
        with pytest.raises(PasskeyRefused, match="challenge"):
            await passkeys.finish_authentication(rp, json.dumps(credential), Purpose.sign_in)


async def test_a_challenge_for_enrolment_cannot_sign_in(person):
    someone = await person(sign_in=False)
    other = await invite("moderator")
    options = await someone.options(f"/invitations/{other.token}/options")
    await refused(someone, await someone.post_json("/login", {"credential": someone.authenticator.get(options)}))


@pytest.mark.parametrize(
    "misbehaviour",
    [
        {"origin": "http://evil.example"},
        {"origin": "https://localhost:8000"},
        {"rp_id": "evil.example"},
        {"user_handle": b"someone-else"},
        {"omit_user_handle": True},
    ],
    ids=["wrong origin", "wrong scheme", "wrong RP ID", "wrong user handle", "no user handle"],
)
async def test_sign_in_refusals(person, misbehaviour):
    someone = await person(sign_in=False)
    await refused(someone, await someone.sign_in(**misbehaviour))


async def test_user_verification_is_required_to_sign_in(person):
    someone = await person(sign_in=False)
    someone.authenticator.user_verification = False
    await refused(someone, await someone.sign_in())


async def test_the_sign_count_must_increase(person):
    someone = await person(sign_in=False)
    assert (await someone.sign_in(sign_count=5)).status_code == 200
    stored = await Passkey.select(Passkey.sign_count).first()
    assert stored["sign_count"] == 5
    await someone.post_form("/logout")
    await refused(someone, await someone.sign_in(sign_count=5))  # a cloned authenticator
    await refused(someone, await someone.sign_in(sign_count=3))
    assert (await someone.sign_in(sign_count=6)).status_code == 200


async def test_sign_counts_go_up_to_32_bits(person):
    someone = await person(sign_in=False)
    assert (await someone.sign_in(sign_count=2**31 + 5)).status_code == 200
    await someone.post_form("/logout")
    assert (await someone.sign_in(sign_count=2**32 - 1)).status_code == 200


async def test_a_count_of_zero_means_the_authenticator_does_not_count(person):
    someone = await person(sign_in=False)
    someone.authenticator.counts_signatures = False
    assert (await someone.sign_in()).status_code == 200
    await someone.post_form("/logout")
    assert (await someone.sign_in()).status_code == 200


async def test_a_passkey_of_a_disabled_account_is_refused_like_any_other(person):
    someone = await person(sign_in=False)
    admin = await person("admin")
    assert (await admin.post_form(f"/admin/accounts/{someone.account_id}/disable")).status_code == 303
    await refused(someone, await someone.sign_in())


async def test_an_unknown_passkey_is_refused_with_the_same_words(person):
    someone = await person(sign_in=False)
    stranger = Person(someone.client, SoftwareAuthenticator())
    stranger.authenticator.create({"rp": {"id": "localhost"}, "user": {"id": "c3RyYW5nZXI"}, "challenge": "eA"})
    await refused(someone, await stranger.sign_in())


@pytest.mark.parametrize(
    "body",
    [
        {"credential": {}},
        {"credential": {"id": "x", "rawId": "x", "type": "public-key", "response": {}}},
        {"credential": {"id": 1, "response": {"clientDataJSON": "!!!", "authenticatorData": None}}},
        {"credential": "not an object"},
        ["a list"],
        "[" * 30000,  # deeper than the JSON parser goes
    ],
)
async def test_malformed_responses_are_refused_not_crashed_on(person, body):
    someone = await person(sign_in=False)
    content = body if isinstance(body, str) else json.dumps(body)
    response = await someone.client.post(
        "/login", content=content, headers={"accept": "application/json", "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["message"]


async def test_without_script_the_person_is_told_why(person):
    someone = await person(sign_in=False)
    response = await someone.client.post("/login", data={}, headers={"accept-language": "zh-CN"})
    assert response.status_code == 400
    assert "JavaScript" in response.text and "通行密钥" in response.text


async def test_the_user_handle_is_random_not_personal(person):
    someone = await person("moderator", name="张三")
    account = await get_account(someone.account_id)
    assert len(account.user_handle) >= 40 and "张三" not in account.user_handle


async def test_ceremony_endpoints_refuse_other_sites(person):
    someone = await person(sign_in=False)
    for url in ("/login/options", "/login", "/account/confirm/options"):
        response = await someone.client.post(url, json={}, headers={"accept": "application/json", **CROSS_SITE})
        assert response.status_code == 403, url
        assert response.json()["message"].startswith("This was sent from another website")
