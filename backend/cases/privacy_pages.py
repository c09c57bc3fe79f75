"""The admins' record of processing (``cases.processing_record``): what personal data is kept,
where, for how long, and who may see it."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from backend.accounts.guards import admits, role_guard
from backend.cases.processing_record import processing_record
from backend.settings import get_settings
from backend.vocabulary import ROLE_LABELS, StaffRole


class ProcessingRecordController(Controller):
    guards = [role_guard]

    @get("/admin/personal-data", opt=admits(StaffRole.admin))
    async def processing_record_page(self) -> Template:
        return Template(
            template_name="admin/personal_data.html",
            context={"record": processing_record(get_settings()), "role_labels": ROLE_LABELS},
            headers={"cache-control": "no-store"},
        )
