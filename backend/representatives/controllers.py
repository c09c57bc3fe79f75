"""The representatives' own channel. Filing and following suggestions come with their issue;
the page and its guard are here already, so that representatives land somewhere real.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from backend.accounts.guards import admits, current, role_guard
from backend.accounts.roles import BODY_LABELS, LEVEL_LABELS, StaffRole


class RepresentativeController(Controller):
    path = "/representatives"
    guards = [role_guard]

    @get("/", opt=admits(StaffRole.representative))
    async def channel(self, request: Request) -> Template:
        return Template(
            template_name="representatives/home.html",
            context={"account": current(request).account, "body_labels": BODY_LABELS, "level_labels": LEVEL_LABELS},
            headers={"cache-control": "no-store"},
        )
