"""Browser tests: headless Chromium (Debian's package, driven by Playwright through
``executable_path``) against real nodes and a real hub on loopback.

Chromium is launched with a fresh profile (Playwright's ``launch`` makes a new temporary
user-data-dir each time) and without any background network traffic. Every page must work
offline: a request to anything but loopback fails the test. In CI a missing browser is an
error (``.ci/run`` installs it); elsewhere the tests are skipped with a reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

CHROMIUM = os.environ.get("LFN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# The README's screenshots come from these tests, but only when asked (`make screenshots`):
# an ordinary test run must leave the checkout as it found it.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = (
    DOCS_SCREENSHOTS
    if os.environ.get("LFN_WRITE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="lfn-screenshots-"))
)


#: How long an ``expect`` waits for its condition (Playwright's default is 5 s): a page that
#: waits on a node of a loaded 2-core machine may take seconds; a failing check waits this long.
EXPECT_TIMEOUT_MS = 30_000


def _require_chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"Chromium is required in CI ({CHROMIUM}); .ci/run installs it")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[object]:
    path = _require_chromium()
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=path, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def ctx(browser: Any) -> AsyncIterator[Any]:
    """A fresh browser context per test (``support.OfflineContext``); it fails the test if a
    page asked the internet for anything (every page works offline) or a request failed."""
    from tests.browser.support import offline_context

    context = await offline_context(browser)
    yield context
    await context.context.close()
    assert context.outside == []
    assert context.failures == []
