"""People who sign in, made through the real services and the real ceremonies over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.authenticator import SoftwareAuthenticator


@dataclass
class Person:
    """One person's browser: an app client with its cookies, and their authenticator."""

    client: object
    authenticator: SoftwareAuthenticator = field(default_factory=SoftwareAuthenticator)
    account_id: int | None = None

    def __post_init__(self):
        self.client.headers["accept-language"] = "en"  # the tests read English; zh-CN is the default
        # As a browser marks what the site's own pages send (backend.web.csrf).
        self.client.headers["sec-fetch-site"] = "same-origin"

    async def post_json(self, url: str, body: dict | None = None):
        return await self.client.post(url, json=body or {}, headers={"accept": "application/json"})

    async def post_form(self, url: str, data: dict | None = None):
        return await self.client.post(url, data=data or {})

    async def options(self, url: str) -> dict:
        response = await self.post_json(url)
        assert response.status_code == 200, response.text
        return response.json()

    async def enrol(self, token: str, **create_kwargs):
        options = await self.options(f"/invitations/{token}/options")
        credential = self.authenticator.create(options, **create_kwargs)
        return await self.post_json(f"/invitations/{token}", {"credential": credential, "name": "test phone"})

    async def sign_in(self, next: str = "", **get_kwargs):
        options = await self.options("/login/options")
        credential = self.authenticator.get(options, **get_kwargs)
        return await self.post_json("/login", {"credential": credential, "next": next})

    async def confirm(self, **get_kwargs):
        options = await self.options("/account/confirm/options")
        return await self.post_json("/account/confirm", {"credential": self.authenticator.get(options, **get_kwargs)})


async def invite(role: str, name: str = "", **fields):
    from backend.accounts.audit import Who
    from backend.accounts.services import InvitationForm, invite

    form = InvitationForm(name=name or f"Test {role}", role=role, **{k: str(v) for k, v in fields.items()})
    return await invite(form, actor=Who(None, "test"))


@pytest.fixture
def person(new_client):
    """``await person(role, ...)``: someone invited, enrolled with a passkey, and signed in."""

    async def make(role: str = "moderator", *, sign_in: bool = True, **fields) -> Person:
        issued = await invite(role, **fields)
        someone = Person(await new_client(), account_id=issued.account_id)
        response = await someone.enrol(issued.token)
        assert response.status_code == 200, response.text
        if not sign_in:
            await someone.post_form("/logout")
        return someone

    return make
