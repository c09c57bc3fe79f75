"""The language switch and the health check (the home page is the cases' own: ``CaseController``)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Response

from backend.settings import get_settings
from backend.web import i18n
from backend.web.forms import form_text


def local_path(target: str) -> str:
    """Only paths on this site: never an open redirect.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so a "/", a tab
    and "/evil.example" would lead off-site: any such character makes the target the home page.
    """
    unsafe = "\\" in target or not target.isprintable() or any(ch.isspace() for ch in target)
    if unsafe or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


class PageController(Controller):
    @post("/language", status_code=303)
    async def language(self, request: Request) -> Redirect:
        form = await request.form()
        language = form_text(form, "language")
        response = Redirect(path=local_path(form_text(form, "next") or "/"), status_code=303)
        if language in i18n.LANGUAGES:
            response.set_cookie(
                Cookie(
                    key=i18n.LANGUAGE_COOKIE,
                    value=language,
                    max_age=365 * 24 * 3600,
                    httponly=True,
                    samesite="lax",
                    secure=get_settings().secure_cookies,
                )
            )
        return response

    @get("/healthz", cache=False)
    async def healthz(self, request: Request) -> Response:
        """Liveness: this worker answers, with how many live streams it holds open. It asks
        nothing of the database (``/readyz`` does): a database that is down is no reason to
        restart every app process."""
        return Response({"status": "ok", "live_streams": request.app.state.live.stream_count})
