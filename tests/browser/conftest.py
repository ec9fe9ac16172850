"""A real headless Chromium (Debian's package, driven by Playwright) for tests that look at pages.

`make test` installs Chromium (`make browser`); in CI a missing browser fails these tests
instead of skipping them. Each test's screenshots go under `artifacts/screenshots/`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def chromium_path() -> str | None:
    """Chromium's executable: $STREAMRIG_CHROMIUM, else Debian's chromium on the PATH."""
    return os.environ.get("STREAMRIG_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (a `playwright.sync_api.Browser`).

    Not per session: Playwright's sync API keeps its event loop set as running on the
    main thread while it is open, and the asyncio tests of later modules would fail."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed: `make browser` installs Debian's package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    """A fresh page (1280x800); `page.screenshot_as(name)` keeps a PNG as a test artefact."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name)

    def screenshot_as(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test_name}-{name}.png"
        opened.screenshot(path=str(path), full_page=True)
        return path

    opened.screenshot_as = screenshot_as
    yield opened
    context.close()
