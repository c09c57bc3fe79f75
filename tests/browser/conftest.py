"""Debian's Chromium driven by Playwright (never a downloaded browser), against a live server.

One server and one Chromium serve every browser test of a run (starting them took seconds a
test). Each test still starts clean: the database is emptied before it (``empty_database``; the
server reads the same database), it gets fresh browser contexts, and whatever contexts it
leaves open are closed after it, once the server has ended their live streams.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# The machine has no network beyond package registries: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Records every Content-Security-Policy violation a page causes.
RECORD_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  (window.__cspViolations = window.__cspViolations || []).push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def live_server(live_server, categories):
    """The run's shared live server (tests/conftest.py), with this test's data (the categories,
    and what the test makes)."""
    yield live_server


@contextmanager
def asyncio_beside_playwright():
    """Lets pytest-asyncio run async fixtures and tests while Playwright's sync API is alive.

    Between its calls, the sync API leaves its own event loop marked as running in this thread
    (its dispatcher greenlet is suspended inside that loop), and asyncio refuses to run another
    loop then. Each run of pytest-asyncio's loop (``asyncio.Runner.run``) unmarks it for the
    run and marks it again after; nothing else changes."""
    original = asyncio.Runner.run

    def run(self, coro, *, context=None):
        outer = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        try:
            return original(self, coro, context=context)
        finally:
            asyncio._set_running_loop(outer)

    asyncio.Runner.run = run
    try:
        yield
    finally:
        asyncio.Runner.run = original


@pytest.fixture(scope="session")
def shared_browser():
    with asyncio_beside_playwright(), sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser(shared_browser):
    """The run's Chromium; the contexts a test opens are closed after it."""
    yield shared_browser
    for context in list(shared_browser.contexts):
        context.close()


@pytest.fixture
def phone(browser):
    """A small phone screen, in Chinese, with touch."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    yield context
    context.close()
