"""Debian's Chromium driven by Playwright (never a downloaded browser), against a live server."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.support import LiveServer

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
def live_server(categories):
    server = LiveServer(env={"MINSHENG_LIVE_STREAM_SECONDS": "300"}).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A small phone screen, in Chinese, with touch."""
    context = browser.new_context(
        viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    yield context
    context.close()
