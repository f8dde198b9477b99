"""The shipped pages in a real headless browser (Debian's chromium, driven by Playwright): the
journey viewer follows a customer live, and GraphiQL works with no CDN.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browsers import ARTIFACTS
from tests.servers import AUTH, free_port, wait_ready


@pytest.fixture
def server(serve, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'ui.db'}")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return url


def test_graphiql_runs_a_query_offline(server: str, page: Page) -> None:
    query = "{ serverStatus }"
    page.goto(f"{server}/graphql#query={urllib.parse.quote(query)}")
    page.wait_for_selector(".graphiql-container")
    page.locator(".graphiql-execute-button").click()
    expect(page.locator(".result-window")).to_contain_text('"mode": "production"', timeout=10000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graphiql.png"))


def _attack(customer_id: str) -> str:
    """Script that would start a service for the customer if it ever ran in this server's origin."""
    mutation = (
        "mutation { startService(input: {serviceType: 666, customerId: " + json.dumps(customer_id) + "}) { id } }"
    )
    body = json.dumps(json.dumps({"query": mutation}))  # a JS string literal of the JSON body
    return f"fetch('/graphql', {{method: 'POST', headers: {{'content-type': 'application/json'}}, body: {body}}})"


def test_stored_script_never_runs(server: str, page: Page) -> None:
    """Script stored in what the server serves (interaction contents) and in what the journey viewer
    shows (attributes, subjects, types, dispositions) never runs: nothing gets started.
    """
    with httpx.Client(base_url=server, headers=AUTH) as api:
        victim = api.post("/profiles", json={"FirstName": "Eve"}).json()["customer_id"]
        attack = _attack(victim)
        tags = f'<script>{attack}</script><img src=x onerror="{attack}">'
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{attack}"><script>{attack}</script></svg>'
        import base64

        short = "<img src=x onerror=alert(1)><script>alert(2)</script>"  # for fields of at most 64 characters
        customer_id = api.post("/profiles", json={"FirstName": short, "LastName": short}).json()["customer_id"]
        service_id = api.post(
            "/services/start", json={"customer_id": customer_id, "service_type": short, "interaction_id": "xss"}
        ).json()["service_id"]
        state_id = api.post(f"/services/{service_id}/states/start", json={"state_type": short}).json()["state_id"]
        api.post(
            f"/services/{service_id}/states/{state_id}/end", json={"disposition": short, "disposition_desc": short}
        )
        recorded = api.post(
            "/interactions",
            json={
                "interaction_id": "xss",
                "customer_id": customer_id,
                "entity_type": 2,
                "media_type": short,
                "type": short,
                "status": 3,
                "creator_app_id": 1,
                "start_date": "2024-01-01T10:00:00Z",
                "subject": tags,
                "text": tags,
                "structured_text": f"<html><body>{tags}</body></html>",
                "structured_text_mime": "text/html",
                "binary_content": base64.b64encode(svg.encode()).decode(),
                "binary_content_mime": "image/svg+xml",
                "binary_content_size": len(svg.encode()),
            },
        )
        assert recorded.status_code == 201, recorded.text

        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server}/interactions/xss/plain_text")
        expect(page.locator("body")).to_contain_text("<script>")  # shown as text
        for path in ("structured_text", "binary_content"):
            downloaded = False
            try:
                page.goto(f"{server}/interactions/xss/{path}")
            except PlaywrightError as error:  # served as a download: nothing of it was shown
                downloaded = "Download is starting" in error.message
            assert downloaded, path
            page.wait_for_timeout(300)
        page.goto(f"{server}/ui")
        page.get_by_label("Customer id").fill(customer_id)
        page.get_by_role("button", name="Show journey").click()
        expect(page.locator(f'[data-service-id="{service_id}"]')).to_be_visible()
        page.wait_for_timeout(500)
        assert api.get(f"/customers/{victim}/services").json() == []
        assert dialogs == []
