"""The shipped pages under their Content-Security-Policy, in Chromium: GraphiQL and the journey
viewer run (queries, a subscription over the websocket) without one violation, GraphiQL opens with
the agent desktop's query, a key set once in its Headers pane reaches the websocket too, and a page
of another origin cannot frame GraphiQL.
"""

from __future__ import annotations

import http.server
import json
import threading

import httpx
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.pages import ARTIFACTS, Watched, watch
from tests.servers import AUTH, KEY, free_port


def _customer_with_a_service(server: str) -> tuple[str, int]:
    with httpx.Client(base_url=server, headers=AUTH) as api:
        customer_id = api.post("/profiles", json={"FirstName": "Ada", "LastName": "Lovelace"}).json()["customer_id"]
        started = api.post("/services/start", json={"customer_id": customer_id, "service_type": "Wireless"})
        return customer_id, started.json()["service_id"]


def _set_editor(page: Page, selector: str, text: str) -> None:
    """Types `text` into one of GraphiQL's editors as a whole (CodeMirror's own API)."""
    page.locator(selector).first.wait_for()
    page.evaluate("([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text)", [selector, text])


_VARIABLES = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"


def _start(page: Page) -> None:
    """Runs the tab's only operation (a new tab takes a moment before its button runs what it shows)."""
    button = page.locator(".graphiql-execute-button")
    for _ in range(10):
        button.click()
        page.wait_for_timeout(300)
        if button.get_attribute("aria-label") == "Stop query (Ctrl-Enter)":
            return
    raise AssertionError("GraphiQL did not start the subscription")


def _run(page: Page, operation: str) -> None:
    page.locator(".graphiql-execute-button").click()
    page.get_by_role("menuitem", name=operation).click()  # the starter document holds two operations


def test_graphiql_opens_with_the_agent_desktop_query_and_follows_a_journey(
    server: str,
    watched: Watched,
) -> None:
    customer_id, service_id = _customer_with_a_service(server)
    page = watched.page
    page.goto(f"{server}/graphql")
    expect(page.locator(".graphiql-query-editor")).to_contain_text("query AgentDesktop($customerId: ID!)")
    _set_editor(page, _VARIABLES, json.dumps({"customerId": customer_id}))

    _run(page, "AgentDesktop")
    result = page.locator(".result-window")
    expect(result).to_contain_text('"serviceType": "Wireless"', timeout=10000)
    expect(result).to_contain_text(customer_id)

    _run(page, "Journey")  # a subscription: over the websocket
    page.wait_for_timeout(800)  # graphql-transport-ws does not acknowledge a subscribe
    with httpx.Client(base_url=server, headers=AUTH) as api:
        task_id = api.post(f"/services/{service_id}/tasks/start", json={"task_type": "Verify"}).json()["task_id"]
    expect(result).to_contain_text('"kind": "task"', timeout=5000)
    expect(result).to_contain_text(f'"taskId": {task_id}')
    expect(result).to_contain_text('"action": "started"')
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graphiql-subscription.png"))

    # GraphiQL's other parts: dialogs, panels and tabs (their menus lock scrolling with a style).
    page.get_by_role("button", name="Open settings dialog").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Show Documentation Explorer").click()
    page.get_by_role("button", name="Show History").click()
    page.get_by_role("button", name="Add tab").click()
    expect(page.locator(".graphiql-query-editor").first).to_contain_text("query AgentDesktop")
    assert watched.violations() == []
    assert watched.dialogs == []


def test_a_key_set_once_in_the_headers_pane_serves_queries_and_the_websocket(server: str, browser: Browser) -> None:
    """No browser login here: the page, its assets and its schema are fetched with the key (as an
    operator's proxy could), GraphiQL's operations and websocket carry only what its Headers pane says.
    """
    customer_id, service_id = _customer_with_a_service(server)
    context = browser.new_context()

    def page_and_assets_only(route: Route) -> None:
        request = route.request
        if request.method == "GET" or "IntrospectionQuery" in (request.post_data or ""):
            route.continue_(headers=request.headers | AUTH)
        else:
            route.continue_()

    context.route("**/*", page_and_assets_only)
    watched = watch(context)
    page = watched.page
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    try:
        page.goto(f"{server}/graphql")
        _set_editor(page, _VARIABLES, json.dumps({"customerId": customer_id}))
        page.get_by_role("button", name="Headers").click()
        _set_editor(page, _VARIABLES, json.dumps({"Authorization": f"Bearer {KEY}"}))
        _run(page, "AgentDesktop")
        result = page.locator(".result-window")
        expect(result).to_contain_text('"serviceType": "Wireless"', timeout=10000)

        page.get_by_role("button", name="Add tab").click()  # a tab of its own, no headers of its own
        _set_editor(
            page,
            ".graphiql-query-editor .CodeMirror",
            f"subscription {{ journey(serviceId: {service_id}) {{ kind action taskId serviceId }} }}",
        )
        expect(page.locator(".graphiql-query-editor")).to_contain_text("subscription")
        _start(page)
        page.wait_for_timeout(800)
        with httpx.Client(base_url=server, headers=AUTH) as api:
            task_id = api.post(f"/services/{service_id}/tasks/start", json={"task_type": "Call"}).json()["task_id"]
        expect(result.last).to_contain_text(f'"taskId": {task_id}', timeout=5000)
        assert sockets == [f"{server.replace('http', 'ws')}/graphql"]
        assert watched.violations() == []
    finally:
        context.close()


def test_the_journey_viewer_follows_a_customer_live_within_the_policy(server: str, watched: Watched) -> None:
    customer_id, service_id = _customer_with_a_service(server)
    page = watched.page
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(f"{server}/ui")
    page.get_by_label("Customer id").fill(customer_id)
    page.get_by_role("button", name="Show journey").click()
    expect(page.locator(f'[data-service-id="{service_id}"]')).to_be_visible()
    page.wait_for_timeout(800)
    with httpx.Client(base_url=server, headers=AUTH) as api:
        api.post(f"/services/{service_id}/states/start", json={"state_type": "Deliver"})
    expect(page.locator("body")).to_contain_text("Deliver", timeout=5000)  # came over the websocket
    assert any('"next"' in frame for frame in frames)
    assert watched.violations() == []


def test_a_page_of_another_origin_cannot_frame_graphiql(server: str, browser: Browser) -> None:
    """Clickjacking: another site's page (here another port of the same machine, so that the browser
    lets it reach loopback at all) puts GraphiQL in a frame, with the browser's login at hand.
    """
    attacker = _serve_once(f'<!doctype html><p>Win a prize!</p><iframe id="victim" src="{server}/graphql"></iframe>')
    context = browser.new_context(http_credentials={"username": "agent", "password": KEY})
    watched = watch(context)
    page = watched.page
    try:
        page.goto(attacker)
        page.wait_for_timeout(3000)
        framed = [f for f in page.frames if f.url.startswith(server)]
        shown = [f for f in framed if f.evaluate("document.querySelector('.graphiql-container') !== null")]
        assert shown == []
        expect(page.frame_locator("#victim").locator(".graphiql-container")).to_have_count(0)
    finally:
        context.close()


def _serve_once(html: str) -> str:
    """A page served from another origin (a port of its own) for as long as the test runs."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/"
