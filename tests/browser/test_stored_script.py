"""Script stored in every field a page can show or serve never runs: profile attributes, extension
values, business-attribute names, service, state and task fields, interaction fields and contents in
every media type (HTML, SVG, XML, XHTML, plain text), `javascript:` URLs; shown by GraphiQL's
results, the journey viewer and the content URLs. A script that ran would set `window.__pwned`
(in its page or the page above), open a dialog, or start a service for the victim customer.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.pages import watch
from tests.servers import AUTH, KEY, free_port, wait_ready

_MARK = "try{top.__pwned=1}catch(e){};window.__pwned=1;alert(1)"


def _payloads(attack: str) -> str:
    """One text holding every way of smuggling script into a page."""
    return (
        f'<script>{_MARK};{attack}</script><img src=x onerror="{_MARK};{attack}">'
        f'<svg onload="{_MARK}"><script>{_MARK}</script></svg>'
        f'<a href="javascript:{_MARK}">x</a><iframe src="javascript:{_MARK}"></iframe>'
        f"\"'><script>{_MARK}</script>"
    )


SHORT = f"<img src=x onerror={_MARK}>"[:60]  # for fields of at most 64 characters
JS_URL = f"javascript:{_MARK}"[:60]


def _attack(customer_id: str) -> str:
    """Script that would start a service for the customer if it ever ran in this server's origin."""
    mutation = (
        "mutation { startService(input: {serviceType: 666, customerId: " + json.dumps(customer_id) + "}) { id } }"
    )
    body = json.dumps(json.dumps({"query": mutation}))
    return f"fetch('/graphql', {{method: 'POST', headers: {{'content-type': 'application/json'}}, body: {body}}})"


def test_stored_script_never_runs_anywhere(serve, tmp_path: Path, browser: Browser) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "hostile.toml"
    config.write_text(
        "[[business_attributes]]\n"
        f"name = {json.dumps(SHORT)}\ndbid = 1\nmap_name = true\n"
        'cv_attributes = ["Service.media_type", "State.media_type", "Task.media_type"]\n'
        f"values = [{{name = {json.dumps(SHORT)}, dbid = 1001}}, {{name = {json.dumps(JS_URL)}, dbid = 1002}}]\n"
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'x.db'}", "--config", str(config))
    wait_ready(url, process)
    with httpx.Client(base_url=url, headers=AUTH) as api:
        victim = api.post("/profiles", json={"FirstName": "Eve"}).json()["customer_id"]
        text = _payloads(_attack(victim))
        schema = {
            "name": "Note",
            "type": "single-valued",
            "attributes": [{"name": "body", "type": "string", "length": 4000}],
        }
        for owner in ("services", "states", "tasks"):
            assert api.post(f"/metadata/{owner}/extensions", json=schema).status_code == 201
        customer_id = api.post("/profiles", json={"FirstName": SHORT, "LastName": JS_URL}).json()["customer_id"]
        common = {"media_type": 1001, "interaction_id": "xss", "Note": {"body": text}}
        service_id = api.post(
            "/services/start", json={"customer_id": customer_id, "service_type": SHORT} | common
        ).json()["service_id"]
        state_id = api.post(
            f"/services/{service_id}/states/start", json={"state_type": JS_URL} | common | {"media_type": 1002}
        ).json()["state_id"]
        task = api.post(f"/services/{service_id}/tasks/start", json={"task_type": SHORT, "state_id": state_id} | common)
        assert task.status_code == 201, task.text
        api.post(f"/services/{service_id}/states/{state_id}/end", json={"disposition": SHORT, "disposition_desc": text})
        contents = {
            "text/html": f"<html><body>{text}</body></html>",
            "image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{_MARK}"><script>{_MARK}</script></svg>',
            "text/xml": f'<x xmlns:h="http://www.w3.org/1999/xhtml"><h:script>{_MARK}</h:script></x>',
            "application/xhtml+xml": f'<html xmlns="http://www.w3.org/1999/xhtml"><script>{_MARK}</script></html>',
            "text/plain": text,
            "text/javascript": _MARK,
        }
        ids = []
        for n, (mime, body) in enumerate(contents.items()):
            raw = body.encode()
            interaction_id = f"xss-{n}" if n else "xss"
            recorded = api.post(
                "/interactions",
                json={
                    "interaction_id": interaction_id,
                    "customer_id": customer_id,
                    "entity_type": 2,
                    "media_type": SHORT,
                    "type": JS_URL,
                    "status": 3,
                    "creator_app_id": 1,
                    "start_date": "2024-01-01T10:00:00Z",
                    "subject": text[:250],
                    "text": text,
                    "structured_text": body,
                    "structured_text_mime": mime,
                    "binary_content": base64.b64encode(raw).decode(),
                    "binary_content_mime": mime,
                    "binary_content_size": len(raw),
                },
            )
            assert recorded.status_code == 201, (mime, recorded.text)
            ids.append(interaction_id)

        context = browser.new_context(http_credentials={"username": "agent", "password": KEY}, accept_downloads=True)
        watched = watch(context)
        page = watched.page
        pwned: list[str] = []

        def check(where: str) -> None:
            page.wait_for_timeout(300)
            for frame in page.frames:
                try:
                    if frame.evaluate("window.__pwned === 1"):
                        pwned.append(f"{where}: {frame.url}")
                except PlaywrightError:  # a sandboxed or cross-origin frame: its flag is its own
                    pass

        # The content URLs, each content in each media type.
        downloads: list[str] = []
        for interaction_id in ids:
            for path in ("plain_text", "structured_text", "binary_content"):
                try:
                    page.goto(f"{url}/interactions/{interaction_id}/{path}")
                except PlaywrightError as error:  # served as a download: nothing of it was shown
                    downloads.append(error.message)
                    continue
                check(f"{interaction_id}/{path}")

        # GraphiQL showing every field at once.
        note = "extensions { Note { body } }"
        tree = (
            "{ customer(id: " + json.dumps(customer_id) + ") { attributes services { serviceType startedAt started "
            f"{note} states {{ stateType disposition {note} tasks {{ taskType {note} }} }} tasks {{ taskType }} }} }} }}"
        )
        page.goto(f"{url}/graphql#query={urllib.parse.quote(tree)}")
        page.locator(".graphiql-execute-button").click()
        expect(page.locator(".result-window")).to_contain_text("onerror", timeout=10000)
        page.locator(".graphiql-history-button, [aria-label='Show History']").first.click()
        check("graphiql")

        # The journey viewer showing the customer.
        page.goto(f"{url}/ui")
        page.get_by_label("Customer id").fill(customer_id)
        page.get_by_role("button", name="Show journey").click()
        expect(page.locator(f'[data-service-id="{service_id}"]')).to_be_visible()
        for link in page.locator("a").all():  # what a curious agent would click
            href = link.get_attribute("href") or ""
            if href.startswith("javascript:"):
                pwned.append(f"a javascript: link in /ui: {href}")
        check("/ui")
        context.close()

        assert pwned == []
        assert watched.dialogs == []
        assert api.get(f"/customers/{victim}/services").json() == []
        assert all("Download is starting" in message for message in downloads), downloads
        assert len(downloads) == 2 * (len(ids) - 1)  # only text/plain contents are shown, as text
