"""GraphiQL in Chromium works with no CDN: its assets are the server's own."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Page, expect

from tests.browser.pages import ARTIFACTS


def test_graphiql_runs_a_query_offline(server: str, page: Page) -> None:
    query = "{ serverStatus }"
    page.goto(f"{server}/graphql#query={urllib.parse.quote(query)}")
    page.wait_for_selector(".graphiql-container")
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".result-window")).to_contain_text('"mode": "production"', timeout=10000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graphiql.png"))
