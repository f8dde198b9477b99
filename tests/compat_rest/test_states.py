"""State Operations over REST: start, complete, transition, queries (spec/004)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import snapshot
from tests.helpers import assert_error, new_service, new_state, new_task


async def test_start_state_answers_201_with_location(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    body = {
        "interaction_id": "51",
        "application_type": 400,
        "application_id": 40,
        "resource_type": 200,
        "resource_id": 20,
        "media_type": 2,
        "est_duration": 60,
        "state_type": 100,
    }
    response = await client.post(f"/genesys/1/cs/services/{service_id}/states/start", json=body)
    assert response.status_code == 201
    state_id = response.json()["state_id"]
    assert response.headers["location"] == f"/genesys/1/cs/services/{service_id}/states/{state_id}"
    state = (await client.get(f"/services/{service_id}/states/{state_id}")).json()
    assert state["state_type"] == 100
    assert state["est_duration"] == 60
    assert state["service_id"] == service_id
    assert state["started"]["resource_id"] == 20
    assert "state_type" not in state["started"]
    assert "est_duration" not in state["started"]


async def test_complete_state(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id, timestamp="2010-06-03T08:48:51.473Z")
    body = {
        "interaction_id": "1587",
        "disposition": 5,
        "disposition_desc": "normal ending",
        "timestamp": "2010-06-03T08:51:54.380Z",
    }
    response = await client.post(f"/services/{service_id}/states/{state_id}/end", json=body)
    assert response.status_code == 200
    state = (await client.get(f"/services/{service_id}/states/{state_id}")).json()
    assert state["duration"] == 182_907
    assert state["disposition"] == 5
    assert state["disposition_desc"] == "normal ending"
    assert state["completed"] == {"interaction_id": "1587", "timestamp": "2010-06-03T08:51:54.380Z"}


async def test_complete_state_without_body_and_twice(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    assert (await client.post(f"/services/{service_id}/states/{state_id}/end")).status_code == 200
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/states/{state_id}/end", json={"disposition": 1})
    assert_error(response, 409, method="POST", fragment="already completed")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_state_of_another_service_is_404(client: httpx.AsyncClient) -> None:
    one, other = await new_service(client), await new_service(client)
    state_id = await new_state(client, one)
    assert_error(await client.get(f"/services/{other}/states/{state_id}"), 404, method="GET", fragment="state")
    assert_error(await client.post(f"/services/{other}/states/{state_id}/end"), 404, method="POST")
    assert_error(await client.get(f"/services/{one}/states/{2**40}"), 404, method="GET")


async def test_start_state_in_unknown_or_completed_service(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/services/987654/states/start", json={"state_type": 1}), 404, method="POST")
    service_id = await new_service(client)
    await client.post(f"/services/{service_id}/end")
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/states/start", json={"state_type": 1})
    assert_error(response, 409, method="POST", fragment="completed")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "state_type"),
        ({"state_type": {"id": 1}}, "state_type"),
        ({"state_type": 1, "previous_state_id": 999999}, "previous_state_id"),
        ({"state_type": 1, "Feedback": {"rating": 7}}, "Feedback"),
        ([{"state_type": 1}], "object"),
    ],
)
async def test_start_state_bad_bodies_write_nothing(client: httpx.AsyncClient, body: object, fragment: str) -> None:
    service_id = await new_service(client)
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/states/start", json=body)
    assert_error(response, 400, method="POST", fragment=fragment)
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_transition_completes_from_and_starts_to(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    first = await new_state(client, service_id, timestamp="2009-05-07T12:00:00.000Z")
    body = {
        "timestamp": "2009-05-07T12:05:20.157",
        "session_id": "11000ABC-80236C1A-1010",
        "interaction_id": "123ABC908ABFFD8080",
        "from": {"state_id": first, "disposition": 1, "disposition_desc": "SUCCESS"},
        "to": {"state_type": 8, "est_duration": 500},
    }
    response = await client.post(f"/services/{service_id}/states/transition", json=body)
    assert response.status_code == 201
    second = response.json()["state_id"]
    assert response.headers["location"] == f"/services/{service_id}/states/{second}"

    old = (await client.get(f"/services/{service_id}/states/{first}")).json()
    assert old["disposition"] == 1
    assert old["disposition_desc"] == "SUCCESS"
    assert old["duration"] == 320_157
    assert old["completed"] == {
        "timestamp": "2009-05-07T12:05:20.157Z",
        "session_id": "11000ABC-80236C1A-1010",
        "interaction_id": "123ABC908ABFFD8080",
    }
    new = (await client.get(f"/services/{service_id}/states/{second}")).json()
    assert new["state_type"] == 8
    assert new["est_duration"] == 500
    assert new["started"] == {
        "timestamp": "2009-05-07T12:05:20.157Z",
        "session_id": "11000ABC-80236C1A-1010",
        "interaction_id": "123ABC908ABFFD8080",
        "previous_state_id": first,
    }


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"to": {"state_type": 8}}, 400, "from"),
        ({"from": {"state_id": "one"}, "to": {"state_type": 8}}, 400, "state_id"),
        ({"from": {"state_id": "FIRST"}}, 400, "to"),
        ({"from": {"state_id": "FIRST"}, "to": {}}, 400, "state_type"),
        ({"from": {"state_id": 999999}, "to": {"state_type": 8}}, 404, "state"),
        ({"from": "FIRST", "to": {"state_type": 8}}, 400, "from"),
    ],
)
async def test_failed_transition_writes_nothing(
    client: httpx.AsyncClient, body: dict[str, object], status: int, fragment: str
) -> None:
    service_id = await new_service(client)
    first = await new_state(client, service_id)
    text = httpx.Response(200, json=body).text.replace('"FIRST"', str(first))
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(
        f"/services/{service_id}/states/transition", content=text, headers={"content-type": "application/json"}
    )
    assert_error(response, status, method="POST", fragment=fragment)
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_transition_from_completed_state_is_409_and_starts_nothing(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    first = await new_state(client, service_id)
    body = {"from": {"state_id": first}, "to": {"state_type": 8}}
    assert (await client.post(f"/services/{service_id}/states/transition", json=body)).status_code == 201
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/states/transition", json=body)
    assert_error(response, 409, method="POST", fragment="already completed")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_query_states_all_active_completed_and_types(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    a = await new_state(client, service_id, state_type=100)
    b = await new_state(client, service_id, state_type="Delivering service")
    c = await new_state(client, service_id, state_type=200)
    await client.post(f"/services/{service_id}/states/{b}/end")

    async def ids(path: str) -> list[int]:
        response = await client.get(path)
        assert response.status_code == 200, response.text
        return [s["state_id"] for s in response.json()]

    base = f"/services/{service_id}/states"
    assert await ids(base) == [a, b, c]
    assert await ids(f"{base}/active") == [a, c]
    assert await ids(f"{base}/completed") == [b]
    assert await ids(f"{base}?state_types=100,Delivering%20service") == [a, b]
    assert await ids(f"/genesys/1/cs/services/{service_id}/state/active?state_types=200") == [c]


async def test_query_states_with_their_tasks(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    active = await new_task(client, service_id, state_id=state_id)
    done = await new_task(client, service_id, state_id=state_id)
    await new_task(client, service_id)  # not in the state
    await client.post(f"/services/{service_id}/tasks/{done}/end")

    states = (await client.get(f"/services/{service_id}/states?active_tasks=true&completed_tasks=true")).json()
    assert [t["task_id"] for t in states[0]["active_tasks"]] == [active]
    assert [t["task_id"] for t in states[0]["completed_tasks"]] == [done]
    one = (await client.get(f"/services/{service_id}/states/{state_id}?completed_tasks=true")).json()
    assert "active_tasks" not in one
    assert [t["task_id"] for t in one["completed_tasks"]] == [done]
    plain = (await client.get(f"/services/{service_id}/states/{state_id}")).json()
    assert "active_tasks" not in plain
    assert "completed_tasks" not in plain


async def test_states_of_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/services/4242/states/active"), 404, method="GET", fragment="service")
