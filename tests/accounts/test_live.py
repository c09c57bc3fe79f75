"""Sessions over real HTTP against `minsheng serve --workers 2`: a sign-in made on one worker
holds on the other, with the file store and with Redis."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.authenticator import SoftwareAuthenticator
from tests.support import ON_REDIS, PROJECT_ROOT, TWO_WORKERS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("store", ["file", "redis"])
def test_a_session_holds_on_every_worker(live_servers, store):
    server = live_servers(workers=2, **(ON_REDIS if store == "redis" else TWO_WORKERS))
    invitation = subprocess.run(
        [sys.executable, "-m", "backend.cli", "invite", "--role", "moderator", "--name", "多进程测试"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MINSHENG_ORIGIN": server.url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip().splitlines()[-1]
    token = invitation.rsplit("/", 1)[1]
    # No keep-alive: every request opens a new connection, which either worker may accept.
    with httpx.Client(base_url=server.url, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        headers = {"accept": "application/json"}
        options = http.post(f"/invitations/{token}/options", headers=headers).json()
        credential = SoftwareAuthenticator(origin=server.url).create(options)
        assert http.post(f"/invitations/{token}", json={"credential": credential}, headers=headers).status_code == 200
        assert [http.get("/moderation").status_code for _ in range(30)] == [200] * 30
        # A copy of the cookie kept elsewhere works now, and not once signed out, on any worker.
        copy = httpx.Client(base_url=server.url, cookies={"minsheng_session": http.cookies["minsheng_session"]}, limits=httpx.Limits(max_keepalive_connections=0))
        with copy:
            assert copy.get("/moderation").status_code == 200
            assert http.post("/logout", headers=headers).status_code == 303
            assert {copy.get("/moderation").status_code for _ in range(30)} == {303}
