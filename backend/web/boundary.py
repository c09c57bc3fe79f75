"""What no request may carry, whatever route it is for: checked here once, before a route
reads its parameters, so that none of it reaches a query, the file system or the decoder."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.exceptions import ClientException, ValidationException
from litestar.file_system import BaseLocalFileSystem


def refuse_nul_bytes(request: Request) -> None:
    """A NUL byte is in no path, token, number or text of ours, and PostgreSQL refuses it in
    text: a URL that carries one (``%00``) is a bad request."""
    if "\x00" in request.scope["path"] or b"\x00" in unquote_to_bytes(request.scope["query_string"]):
        raise ValidationException("NUL byte in the URL")


class BoundedRequest(Request):
    async def json(self) -> Any:
        # msgspec gives up on deep nesting (100,000 "[") with a RecursionError: the body is at fault.
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("JSON nested too deeply") from None


class StaticFileSystem(BaseLocalFileSystem):
    """Static paths that can name no file (through a file, a name too long) are not found."""

    async def info(self, path, **kwargs: Any):
        try:
            return await super().info(path, **kwargs)
        except OSError as error:
            raise FileNotFoundError(path) from error
