"""Times from clients (issue 15): a time whose UTC instant falls outside years 1-9999 once its offset
is applied is a 400 on every time field, REST and GraphQL, both databases (it was a 500); an end or
a transition stamped earlier than the start by the client's clock is recorded as sent, with a
duration of 0, never negative (it was a 400 "cannot end before it started")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import PROPOSAL, assert_error, new_customer, new_schema, new_service
from tests.surfaces import GraphQL, Refusal, Rest, Surface

OUT_OF_RANGE = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999-00:01"]
EDGES = {  # inside the range, however near its ends
    "0001-01-01T00:00:00Z": "0001-01-01T00:00:00.000Z",
    "0001-01-01T00:00:00-14:00": "0001-01-01T14:00:00.000Z",
    "9999-12-31T23:59:59.999Z": "9999-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59+14:00": "9999-12-31T09:59:59.000Z",
}


@pytest.fixture(params=["rest", "graphql"])
def surface(request: pytest.FixtureRequest, client: httpx.AsyncClient) -> Surface:
    return Rest(client) if request.param == "rest" else GraphQL(client)


async def _refused(app: Starlette, call: Any) -> None:
    before = await snapshot(app)
    with pytest.raises(Refusal) as refused:
        await call
    assert (refused.value.status, refused.value.code) == (400, 4020), refused.value
    assert "out of range: its UTC time falls outside years 0001-9999" in refused.value.message
    assert "timestamp" in refused.value.message
    assert await snapshot(app) == before


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
async def test_journey_times_outside_years_1_to_9999_are_400(app: Starlette, surface: Surface, stamp: str) -> None:
    await _refused(app, surface.start_service({"service_type": 1, "contact_key": "k", "timestamp": stamp}))
    service = await surface.start_service({"service_type": 1, "contact_key": "k"})
    await _refused(app, surface.start_state(service, {"state_type": 2, "timestamp": stamp}))
    await _refused(app, surface.start_task(service, {"task_type": 3, "timestamp": stamp}))
    state = await surface.start_state(service, {"state_type": 2})
    task = await surface.start_task(service, {"task_type": 3})
    await _refused(app, surface.complete_task(service, task, {"timestamp": stamp}))
    await _refused(
        app, surface.transition(service, {"from": {"state_id": state}, "to": {"state_type": 4}, "timestamp": stamp})
    )
    await _refused(app, surface.complete_service(service, {"timestamp": stamp}))


async def test_times_at_the_ends_of_the_range_are_kept(client: httpx.AsyncClient, surface: Surface) -> None:
    for sent, shown in EDGES.items():
        service = await surface.start_service({"service_type": 1, "contact_key": "edge", "timestamp": sent})
        started = (await client.get(f"/services/{service}")).json()["started"]
        assert started["timestamp"] == shown


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
async def test_other_time_fields_outside_the_range_are_400(
    app: Starlette, client: httpx.AsyncClient, stamp: str
) -> None:
    customer = await new_customer(client)
    await new_service(client, customer_id=customer)
    await new_schema(client, "services", PROPOSAL)
    before = await snapshot(app)
    filtered = await client.get(f"/customers/{customer}/services", params={"started_from": stamp})
    assert_error(filtered, 400, method="GET", fragment="out of range")
    anonymous = await client.get("/services/anonymous/k", params={"completed_to": stamp})
    assert_error(anonymous, 400, method="GET", fragment="completed_to")
    profile = await client.put(f"/profiles/{customer}", json={"LastCalledAgent_TimeStamp": stamp})
    assert_error(profile, 400, method="PUT", fragment="out of range")
    extension = {
        "service_type": 1,
        "contact_key": "k",
        "Proposal": [{"car type": "a", "price": 1, "offered_at": stamp}],
    }
    assert_error(await client.post("/services/start", json=extension), 400, method="POST", fragment="out of range")
    interaction = {
        "customer_id": customer,
        "interaction_id": "i-1",
        "status": 0,
        "entity_type": 2,
        "type": "Inbound",
        "media_type": "chat",
        "creator_app_id": 1,
        "start_date": "2009-08-05T09:33:10Z",
        "released_date": stamp,
    }
    recorded = await client.post("/interactions", json=interaction)
    assert_error(recorded, 400, method="POST", fragment="released_date")
    interaction |= {"start_date": stamp, "released_date": "2009-08-05T09:33:10Z"}
    answer = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: JSON!) { recordInteraction(interaction: $i) { id: interactionId } }",
            "variables": {"i": interaction},
        },
    )
    assert answer.json()["errors"][0]["extensions"]["status"] == 400
    assert "start_date" in answer.json()["errors"][0]["message"]
    for query in (
        f'{{ customer(id: "{customer}") {{ services(startedTo: "{stamp}") {{ id }} }} }}',
        f'{{ anonymousServices(contactKey: "k", completedFrom: "{stamp}") {{ id }} }}',
    ):
        error = (await client.post("/graphql", json={"query": query})).json()["errors"][0]
        assert error["extensions"]["status"] == 400, error
        assert "out of range" in error["message"]
    assert await snapshot(app) == before


async def test_an_end_before_the_start_is_recorded_with_duration_zero(
    client: httpx.AsyncClient, surface: Surface
) -> None:
    """The documents' own examples: started now, ended with their 2009 timestamps."""
    customer = await new_customer(client)
    service = await surface.start_service({"service_type": 100, "customer_id": customer})
    first = await surface.start_state(service, {"state_type": 8})
    task = await surface.start_task(service, {"task_type": 55, "state_id": first})
    await surface.complete_task(service, task, {"timestamp": "2009-05-07T12:05:20.157Z"})
    second = await surface.transition(
        service, {"from": {"state_id": first}, "to": {"state_type": 9}, "timestamp": "2009-05-07T12:05:21.000Z"}
    )
    await surface.complete_service(service, {"timestamp": "2009-05-07T12:05:22Z", "disposition": "done"})

    flags = "active_states=true&completed_states=true&active_tasks=true&completed_tasks=true"
    rest = (await client.get(f"/services/{service}?{flags}")).json()
    assert rest["completed"]["timestamp"] == "2009-05-07T12:05:22.000Z"
    assert rest["duration"] == 0
    assert [(s["state_id"], s["duration"]) for s in rest["completed_states"]] == [(first, 0)]
    assert [(t["task_id"], t["duration"]) for t in rest["completed_tasks"]] == [(task, 0)]
    assert rest["completed_tasks"][0]["completed"]["timestamp"] == "2009-05-07T12:05:20.157Z"
    assert [s["state_id"] for s in rest["active_states"]] == [second]  # the transition's new state

    query = """query($c: ID!) { customer(id: $c) { services { duration completedAt
        states { id: stateId duration completedAt } tasks { id: taskId duration } } } }"""
    answer = await client.post("/graphql", json={"query": query, "variables": {"c": customer}})
    (tree,) = answer.json()["data"]["customer"]["services"]
    assert (tree["duration"], tree["completedAt"]) == (0, "2009-05-07T12:05:22.000Z")
    assert {(s["id"], s["duration"], s["completedAt"]) for s in tree["states"]} == {
        (first, 0, "2009-05-07T12:05:21.000Z"),
        (second, None, None),
    }
    assert tree["tasks"] == [{"id": task, "duration": 0}]
    one = await client.post("/graphql", json={"query": f"{{ service(id: {service}) {{ duration }} }}"})
    assert one.json()["data"]["service"]["duration"] == 0
