"""The API's docs page renders the schema in a real browser under the strict CSP."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_docs_page_shows_every_operation_without_csp_violations(live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server.url}/schema")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/cases" in path for path in paths)
    assert any("/api/v1/staff/cases/{number}/actions/{action}" in path.replace("\u200b", "") for path in paths)
    assert page.evaluate("window.__cspViolations || []") == []
