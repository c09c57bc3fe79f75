"""The admins' deadline limits: what the clocks then use, the validation, and the admin page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts.audit import Who
from backend.accounts.tables import AuditEvent
from backend.deadlines.clocks import DEFAULT_POLICY, Clock, Limit, Unit
from backend.vocabulary import CaseType
from backend.deadlines import limits
from backend.deadlines.limits import LimitError, LimitForm
from backend.deadlines.services import working_calendar
from backend.deadlines.tables import DeadlineLimit
from tests.cases.test_clocks import assigned_case, at, clocks_of

ADMIN = Who(None, "test admin")


async def test_until_an_admin_changes_anything_the_defaults_apply():
    assert await limits.clock_policy() == DEFAULT_POLICY
    settings = await limits.limit_settings()
    assert len(settings) == len(CaseType) * len(Clock) and all(setting.is_default for setting in settings)


async def test_a_changed_limit_applies_to_cases_assigned_afterwards(settings, categories):
    before, _ = await assigned_case(settings, categories, at(2026, 11, 17, 10, 0))
    await limits.set_limit(LimitForm("complaint", "answer", "2", "working_days"), actor=ADMIN)
    await limits.set_limit(LimitForm("complaint", "sign", "10", "working_minutes", "2", "hours"), actor=ADMIN)
    await limits.set_warning("50", actor=ADMIN)
    after, _ = await assigned_case(settings, categories, at(2026, 11, 17, 10, 0))
    assert (await clocks_of(before))["answer_due_at"] == at(2026, 11, 20, 10, 0)  # as promised
    row = await clocks_of(after)
    assert row["answer_due_at"] == at(2026, 11, 19, 10, 0)
    assert row["sign_due_at"] == at(2026, 11, 17, 10, 10)
    calendar = await working_calendar()
    assert row["answer_warning_at"] == calendar.add_working_time(at(2026, 11, 17, 10, 0), calendar.day_length)  # half of two days
    saturday, _ = await assigned_case(settings, categories, at(2026, 11, 21, 9, 0))
    assert (await clocks_of(saturday))["sign_due_at"] == at(2026, 11, 21, 11, 0)  # the rest-day allowance
    consultation, _ = await assigned_case(settings, categories, at(2026, 11, 17, 10, 0), "consultation")
    assert (await clocks_of(consultation))["answer_due_at"] == at(2026, 11, 18, 10, 0)  # other types unchanged
    policy = await limits.clock_policy()
    assert policy.limit("complaint", Clock.sign) == Limit(10, Unit.working_minutes, Limit(2, Unit.hours))
    assert policy.warning_share == 0.5
    # Saving again replaces the row; the audit log has each change.
    await limits.set_limit(LimitForm("complaint", "answer", "4", "working_days"), actor=ADMIN)
    assert await DeadlineLimit.count() == 2
    assert [row["action"] for row in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)] == [
        "deadline_limit_changed", "deadline_limit_changed", "deadline_warning_changed", "deadline_limit_changed",
    ]


@pytest.mark.parametrize(
    "form, fields",
    [
        (LimitForm("complaint", "answer", "", "working_days"), {"amount"}),
        (LimitForm("complaint", "answer", "0", "working_days"), {"amount"}),
        (LimitForm("complaint", "answer", "-3", "working_days"), {"amount"}),
        (LimitForm("complaint", "answer", "2.5", "working_days"), {"amount"}),
        (LimitForm("complaint", "answer", "１２", "working_days"), {"amount"}),  # full-width digits
        (LimitForm("complaint", "answer", "67", "working_days"), {"amount"}),
        (LimitForm("complaint", "answer", "99999999999999999999", "hours"), {"amount"}),
        (LimitForm("complaint", "answer", "3", "fortnights"), {"unit"}),
        (LimitForm("complaint", "answer", "3", "working_days", "8", ""), {"rest_day_unit"}),
        (LimitForm("complaint", "answer", "3", "working_days", "", "hours"), {"rest_day_amount"}),
        (LimitForm("petition", "answer", "3", "working_days"), {""}),
        (LimitForm("complaint", "lunch", "3", "working_days"), {""}),
    ],
)
def test_what_cannot_be_a_limit_is_refused_field_by_field(form, fields):
    with pytest.raises(LimitError) as refused:
        limits.validate_limit(form)
    assert set(refused.value.errors) == fields


@pytest.mark.parametrize("percent", ["", "0", "9", "96", "100", "80%", "eighty", "８０"])
async def test_the_warning_share_is_a_sensible_whole_per_cent(percent):
    with pytest.raises(LimitError) as refused:
        await limits.set_warning(percent, actor=ADMIN)
    assert set(refused.value.errors) == {"percent"}


async def test_the_admin_page_shows_changes_and_refuses_hostile_input(person):
    admin = await person("admin")
    page = await admin.client.get("/admin/deadlines")
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert "Official answer" in page.text and "limit-complaint-answer" in page.text
    saved = await admin.post_form("/admin/deadlines", {"case_type": "complaint", "clock": "answer", "amount": "2", "unit": "working_days"})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/deadlines#limit-complaint-answer"
    page = await admin.client.get("/admin/deadlines")
    part = page.text.split('id="limit-complaint-answer"')[1].split("</li>")[0]
    assert "2 working days" in part and "Changed by Test admin" in part
    hostile = [
        {"case_type": "complaint", "clock": "answer", "amount": "1e9", "unit": "working_days"},
        {"case_type": "complaint", "clock": "answer", "amount": "3", "unit": "working_days", "rest_day_amount": "8"},
        {"case_type": "<script>", "clock": "answer\x00", "amount": "3", "unit": "working_days"},
        {"case_type": "complaint", "clock": "answer", "amount": ["3", "4"], "unit": "working_days", "rest_day_unit": "weeks"},
        {},
    ]
    for data in hostile:
        response = await admin.post_form("/admin/deadlines", data)
        assert 400 <= response.status_code < 500, (data, response.status_code)
        assert "field-error" in response.text or "error-summary" in response.text, data
    typed = await admin.post_form("/admin/deadlines", {"case_type": "suggestion", "clock": "sign", "amount": "70000", "unit": "working_minutes"})
    assert typed.status_code == 422 and 'value="70000"' in typed.text
    for percent in ("", "150", "x" * 5000):
        response = await admin.post_form("/admin/deadlines/warning", {"percent": percent})
        assert response.status_code == 422 and "Give a whole number of per cent from 10 to 95." in response.text
    assert (await admin.post_form("/admin/deadlines/warning", {"percent": "75"})).status_code == 303
    assert (await limits.clock_policy()).warning_share == 0.75
    assert (await limits.clock_policy()).limit("complaint", Clock.answer) == Limit(2, Unit.working_days)
    assert timedelta(0) < (await working_calendar()).day_length
