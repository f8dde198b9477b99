"""The journey viewer (/ui) in Chromium: a customer's profile, then a timeline an agent can read — each
service a lane, its states and tasks as bars on one time axis in start order, business names instead
of codes, local times with the exact UTC at hand, interactions as marks linking to their content, an end
sent before its start drawn at zero length and flagged, live growth over the subscription — and
identify as a paged table with the true count. Screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import ARTIFACTS
from tests.servers import AUTH, free_port, wait_ready

CONFIG = """
[[business_attributes]]
name = "ServiceType"
dbid = 1002
cv_attributes = ["Service.service_type"]
values = [{ name = "wireless", dbid = 100, display_name = "Wireless plan" }]

[[business_attributes]]
name = "DispositionCode"
dbid = 1005
cv_attributes = ["Service.disposition", "State.disposition", "Task.disposition"]
values = [{ name = "first-time", dbid = 7, display_name = "Resolved first time" }]
"""


@pytest.fixture
def server(serve, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    (tmp_path / "contextgraph.toml").write_text(CONFIG)
    port = free_port()
    process = serve(
        "--port",
        str(port),
        "--database",
        f"sqlite:///{tmp_path / 'ui.db'}",
        "--config",
        str(tmp_path / "contextgraph.toml"),
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return url


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=AUTH) as client:
        yield client


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def test_the_timeline_shows_a_journey_and_follows_it_live(server: str, api: httpx.Client, page: Page) -> None:
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)

    def at(minutes: float) -> str:  # a time in the last ten minutes, as a client sends it
        return (began + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")

    schema = {"name": "Feedback", "type": "single-valued", "attributes": [{"name": "rating", "type": "integer"}]}
    assert api.post("/metadata/states/extensions", json=schema).status_code == 201
    customer_id = api.post(
        "/profiles", json={"FirstName": "Ada", "LastName": "Lovelace", "EmailAddress": ["ada@example.org", "c@x.org"]}
    ).json()["customer_id"]
    start = {"customer_id": customer_id, "service_type": 100, "timestamp": at(0)}
    service_id = api.post("/services/start", json=start | {"interaction_id": "call-1"}).json()["service_id"]
    states = f"/services/{service_id}/states"
    identify = api.post(
        f"{states}/start",
        json={"state_type": "Identify", "timestamp": at(1), "Feedback": {"rating": 7}},
    ).json()["state_id"]
    task_id = api.post(
        f"/services/{service_id}/tasks/start",
        json={"task_type": "Verify", "state_id": identify, "timestamp": at(2)},
    ).json()["task_id"]
    ended = api.post(f"{states}/{identify}/end", json={"disposition": 7, "timestamp": at(3)})
    assert ended.status_code < 300, ended.text
    recorded = api.post(
        "/interactions",
        json={
            "interaction_id": "call-1",
            "customer_id": customer_id,
            "entity_type": 3,
            "media_type": "voice",
            "type": "Inbound",
            "status": 3,
            "creator_app_id": 1,
            "start_date": at(0.5),
            "subject": "Lost phone",
            "structured_text": "<p>Caller lost a phone</p>",
            "structured_text_mime": "text/html",
        },
    )
    assert recorded.status_code == 201, recorded.text

    page.goto(f"{server}/ui?customer={customer_id}")  # a bookmark: no typing needed
    expect(page.locator("#customer-title")).to_contain_text("Ada Lovelace")
    emails = page.locator("dd ul.values li")
    expect(emails.first).to_contain_text("ada@example.org")
    expect(emails.first).to_contain_text("primary")  # multi-values primary first
    lane = page.locator(f'.lane[data-service-id="{service_id}"]')
    expect(lane.locator("h3")).to_contain_text("Wireless plan")  # the business name, not 100
    bars = lane.locator(".bar")
    expect(bars).to_have_count(3)
    kinds = [bars.nth(i).get_attribute("data-kind") for i in range(3)]
    ids = [bars.nth(i).get_attribute("data-id") for i in range(3)]
    assert kinds == ["service", "state", "task"]  # each state followed by its tasks, by start time
    assert ids == [str(service_id), str(identify), str(task_id)]
    done = lane.locator(f'.bar[data-kind="state"][data-id="{identify}"]')
    expect(done).to_have_attribute("aria-label", "Identify, completed in 2 min 0 s, disposition Resolved first time")
    # One axis: the service starts first, the state a minute later, its task a minute after that.
    service_x = _box(page, f'.bar[data-kind="service"][data-id="{service_id}"]')["x"]
    state_box = _box(page, f'.bar[data-kind="state"][data-id="{identify}"]')
    task_x = _box(page, f'.bar[data-kind="task"][data-id="{task_id}"]')["x"]
    assert service_x < state_box["x"] < task_x
    assert abs((task_x - state_box["x"]) - state_box["width"] / 2) < 3  # a minute into its 2-minute state
    mark = lane.locator('[data-interaction-id="call-1"]')
    expect(mark).to_have_attribute("href", "/interactions/call-1/structured_text")
    start_time = lane.locator("h3 time").first
    expect(start_time).to_have_attribute("title", f"{at(0)[:-1]}.000Z (UTC)")

    done.focus()  # the keyboard reaches every bar
    page.keyboard.press("Enter")
    details = page.locator("aside.details")
    expect(details).to_contain_text("Resolved first time")
    expect(details.locator('[data-extension="Feedback"]')).to_contain_text("Rating: 7")

    # Live: a state started now appears as an active bar that ends at the now line and keeps growing.
    live_id = api.post(f"{states}/start", json={"state_type": "Deliver"}).json()["state_id"]
    live = lane.locator(f'.bar[data-kind="state"][data-id="{live_id}"]')
    expect(live).to_have_class(re.compile(r"^bar state active\b"), timeout=5000)
    expect(live).to_have_attribute("aria-label", re.compile(r"^Deliver, active for [2-9] s$"), timeout=8000)  # growing
    live_box, now_box = _box(page, f'.bar[data-kind="state"][data-id="{live_id}"]'), _box(page, ".now")
    assert abs(live_box["x"] + live_box["width"] - now_box["x"]) < 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journey-timeline.png"), full_page=True)


def test_an_end_sent_before_its_start_is_drawn_at_zero_length_and_flagged(
    server: str, api: httpx.Client, page: Page
) -> None:
    customer_id = api.post("/profiles", json={"FirstName": "Ada"}).json()["customer_id"]
    service_id = api.post("/services/start", json={"customer_id": customer_id, "service_type": 100}).json()[
        "service_id"
    ]
    states = f"/services/{service_id}/states"
    skewed_id = api.post(f"{states}/start", json={"state_type": "Callback"}).json()["state_id"]
    # The documents' own examples: a client clock that dates the end years before the start.
    ended = api.post(f"{states}/{skewed_id}/end", json={"disposition": "late", "timestamp": "2009-01-05T09:05:00Z"})
    assert ended.status_code < 300, ended.text
    page.goto(f"{server}/ui?customer={customer_id}")
    skewed = page.locator(f'.bar[data-kind="state"][data-id="{skewed_id}"]')
    expect(skewed).to_have_class("bar state completed reversed narrow")
    expect(skewed).to_contain_text("⚠")
    expect(skewed).to_have_attribute("aria-label", re.compile("the client's clock put its end before its start"))
    assert (
        _box(page, f'.bar[data-kind="state"][data-id="{skewed_id}"]')["width"] <= 8
    )  # zero length (its border), never negative


def test_identify_pages_through_every_match(server: str, api: httpx.Client, page: Page) -> None:
    for n in range(25):
        api.post("/profiles", json={"FirstName": f"Jo{n:02d}", "LastName": "Doe", "EmailAddress": f"jo{n}@x.org"})
    page.goto(f"{server}/ui")
    page.get_by_label("Attribute").fill("LastName")
    page.get_by_label("Value").fill("Doe")
    page.get_by_role("button", name="Show journey").click()
    expect(page.get_by_role("status")).to_contain_text("no identification key is defined yet")  # said plainly

    api.post("/server/mode", json={"mode": "maintenance"})
    key = {"name": "ByLastName", "attributes": ["LastName"]}
    assert api.post("/metadata/identification-keys", json=key).status_code == 201
    api.post("/server/mode", json={"mode": "production"})
    page.get_by_role("button", name="Show journey").click()
    expect(page.get_by_role("status")).to_contain_text("25 customers match LastName = Doe")
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("1–20 of 25")
    expect(table.get_by_role("columnheader")).to_contain_text(["Customer", "First Name", "Last Name", "Email Address"])
    expect(table.locator("tbody tr")).to_have_count(20)
    page.get_by_role("button", name="Next page").click()
    expect(table.locator("caption")).to_contain_text("21–25 of 25")
    expect(table.locator("tbody tr")).to_have_count(5)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journey-identify.png"), full_page=True)
    first = table.locator("tbody a").first
    chosen = first.text_content()
    first.click()
    expect(page.locator("#customer-title")).to_contain_text(str(chosen))
    assert page.url.endswith(f"/ui?customer={chosen}")
