"""The admins' record of processing: built from the code, and complete."""

from __future__ import annotations

import dataclasses
import re

from piccolo.conf.apps import Finder

from backend.cases.processing_record import RECORD, processing_record

# A column whose name says it holds a person's details, or a staff member's name.
LOOKS_PERSONAL = re.compile(r"(^|_)(phone|e?mail|gps|filer|address|latitude|longitude)(_|$)|(_by_name|^actor_name|^subject_name)$")
# What looks personal and is not, and why.
NOT_PERSONAL = {
    "timeline_entry.actor_name": "a department or the platform centre, never a person",
}


def test_every_column_that_looks_personal_is_in_the_record():
    recorded = {f"{column._meta.table._meta.tablename}.{column._meta.db_column_name}" for kept in RECORD for column in kept.where}
    looks_personal = {
        f"{table._meta.tablename}.{column._meta.db_column_name}"
        for table in Finder().get_table_classes()
        for column in table._meta.columns
        if LOOKS_PERSONAL.search(column._meta.db_column_name)
    }
    assert looks_personal - set(NOT_PERSONAL) <= recorded, sorted(looks_personal - set(NOT_PERSONAL) - recorded)
    assert "cases.filer_phone" in looks_personal and "account.name" in recorded  # the pattern finds what it must


def test_the_record_reads_the_settings_and_the_permission_rules(settings):
    lines = {line.what: line for line in processing_record(settings)}
    contact = lines["The filer's name and phone"]
    assert contact.where == ["cases.filer_name", "cases.filer_phone"]
    assert (contact.days, contact.seen_by_roles) == (settings.personal_data_days, ["moderator", "handler"])
    shorter = dataclasses.replace(settings, personal_data_days=30, audit_days=90)
    lines = {line.what: line for line in processing_record(shorter)}
    assert lines["The filer's name and phone"].days == 30
    assert next(line for what, line in lines.items() if what.startswith("The audit log")).days == 90


async def test_admins_read_the_record(person, settings):
    admin = await person("admin")
    page = await admin.client.get("/admin/personal-data")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "cases.filer_phone" in page.text and f"{settings.personal_data_days} days after the case finished" in page.text
    assert "Moderator (platform centre); Department handler; the filer, through their follow link" in page.text
    moderator = await person("moderator")
    assert (await moderator.client.get("/admin/personal-data")).status_code == 403
