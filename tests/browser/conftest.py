"""Browser fixtures: Debian's chromium driven by Playwright, a real server, watched pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.pages import CHROMIUM, Watched, watch
from tests.servers import KEY, free_port, wait_ready


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
def server(serve, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'browser.db'}")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return url


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    # The person at the browser answers its Basic prompt: any user name, the API key as password.
    context = browser.new_context(http_credentials={"username": "agent", "password": KEY})
    yield watch(context)
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that fails its test if it fetched anything from outside the server (the pages work offline)."""
    context = browser.new_context(http_credentials={"username": "agent", "password": KEY})
    opened = context.new_page()
    requested: list[str] = []
    opened.on("request", lambda request: requested.append(request.url))
    yield opened
    context.close()
    outside = [url for url in requested if not url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:"))]
    assert outside == [], f"the page fetched from outside the server: {outside}"
