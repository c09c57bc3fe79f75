"""Who is asking, as the middlewares leave it in the ASGI scope's state: the names of its keys
(the session's, filled by ``accounts.guards``; an API key's holder, by ``api.auth``) and the
address a request came from. Here, in the plumbing, so that the plumbing (CSRF, rate limits)
reads them without reaching up into the accounts or the API."""

from __future__ import annotations

from litestar.connection import ASGIConnection

SIGNED_IN = "signed_in"
API_KEY_HOLDER = "api_key_holder"


def client_address(connection: ASGIConnection) -> str:
    """The address a request came from, for the audit log, throttling and rate limits."""
    return connection.client.host if connection.client else ""
