"""Real Chromium for the browser tests (Debian's chromium, driven by Playwright): one browser per module,
a page per test whose person answers the Basic prompt with the API key, and which fails the test if it
fetched anything from outside the server (the pages work offline)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.servers import KEY

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The person at the browser answers its Basic prompt: any user name, the API key as password.
    context = browser.new_context(http_credentials={"username": "agent", "password": KEY})
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    context.close()
    outside = [url for url in requested if not url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:"))]
    assert outside == [], f"the page fetched from outside the server: {outside}"
