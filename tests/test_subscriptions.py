"""Subscriptions over graphql-transport-ws with a real websocket client against real server
processes: on PostgreSQL the writes go through a second worker and still reach the subscriber.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.servers import AUTH, COMMAND, free_port, wait_ready

SUBSCRIPTION = """subscription($c: ID, $s: Long) { journey(customerId: $c, serviceId: $s) {
    kind action serviceId customerId stateId taskId extension at service { id: serviceId active states { id: stateId active } } } }"""


async def _subscribe(url: str, **variables: Any) -> ClientConnection:
    socket = await connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    # Browsers cannot set headers on a websocket: the key travels in connection_init.
    await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    await socket.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": variables}})
    )
    # The protocol does not acknowledge a subscription; events from now on are what it promises.
    await asyncio.sleep(0.5)
    return socket


async def _next(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["journey"]
    return event


@pytest.fixture
def servers(serve, database_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A subscriber's server and a writer's: two processes on PostgreSQL, one on SQLite."""
    urls = []
    for _ in range(1 if database_url.startswith("sqlite") else 2):
        port = free_port()
        process = serve("--port", str(port), "--database", database_url)
        urls.append(f"http://127.0.0.1:{port}")
        wait_ready(urls[-1], process)
    return urls[0], urls[-1]


async def test_service_journey_events_reach_the_subscriber(servers: tuple[str, str]) -> None:
    reader, writer = servers
    async with httpx.AsyncClient(base_url=writer, headers=AUTH) as http:
        schema = {"name": "Feedback", "type": "single-valued", "attributes": [{"name": "rating", "type": "integer"}]}
        assert (await http.post("/metadata/states/extensions", json=schema)).status_code == 201
        service_id = (await http.post("/services/start", json={"service_type": 1, "contact_key": "k"})).json()[
            "service_id"
        ]
        await asyncio.sleep(1)  # the reader's worker takes the new extension schema within a second
        socket = await _subscribe(reader, s=service_id)
        try:
            state_id = (await http.post(f"/services/{service_id}/states/start", json={"state_type": 1})).json()[
                "state_id"
            ]
            started = await _next(socket)
            assert started | {"at": None, "service": None} == {
                "kind": "state",
                "action": "started",
                "serviceId": service_id,
                "customerId": None,
                "stateId": state_id,
                "taskId": None,
                "extension": None,
                "at": None,
                "service": None,
            }
            assert started["service"]["states"] == [{"id": state_id, "active": True}]

            body = {"from": {"state_id": state_id}, "to": {"state_type": 2}}
            new_state = (await http.post(f"/services/{service_id}/states/transition", json=body)).json()["state_id"]
            moved = await _next(socket)
            assert (moved["action"], moved["stateId"]) == ("transitioned", new_state)
            assert moved["service"]["states"] == [{"id": state_id, "active": False}, {"id": new_state, "active": True}]

            body = {"task_type": 1, "state_id": new_state}
            task_id = (await http.post(f"/services/{service_id}/tasks/start", json=body)).json()["task_id"]
            started_task = await _next(socket)
            assert (started_task["taskId"], started_task["stateId"]) == (task_id, new_state)  # the task's state
            await http.put(f"/services/{service_id}/states/{new_state}/extensions/Feedback", json={"rating": 5})
            changed = await _next(socket)
            assert (changed["action"], changed["extension"], changed["stateId"]) == (
                "extension_changed",
                "Feedback",
                new_state,
            )
            await http.post(f"/services/{service_id}/tasks/{task_id}/end")
            ended_task = await _next(socket)
            assert (ended_task["action"], ended_task["taskId"], ended_task["stateId"]) == (
                "completed",
                task_id,
                new_state,
            )
            await http.post(f"/services/{service_id}/end")
            ended = await _next(socket)
            assert (ended["kind"], ended["action"], ended["service"]["active"]) == ("service", "completed", False)
        finally:
            await socket.close()


async def test_customer_journey_events_and_refusals(servers: tuple[str, str]) -> None:
    reader, writer = servers
    async with httpx.AsyncClient(base_url=writer, headers=AUTH) as http:
        customer_id = (await http.post("/profiles", json={"FirstName": "Ada"})).json()["customer_id"]
        other = (await http.post("/profiles", json={"FirstName": "Bob"})).json()["customer_id"]
        anonymous = (await http.post("/services/start", json={"service_type": 1, "contact_key": "k"})).json()[
            "service_id"
        ]
        socket = await _subscribe(reader, c=customer_id)
        try:
            await http.post("/services/start", json={"service_type": 2, "customer_id": other})  # not this journey
            await http.post(f"/customers/{customer_id}/services/{anonymous}")
            associated = await _next(socket)
            assert (associated["action"], associated["serviceId"], associated["customerId"]) == (
                "associated",
                anonymous,
                customer_id,
            )
            item = {"service": {"customer_id": customer_id, "service_type": 3}, "state": {"state_type": 4}}
            await http.post("/services_composite/start", json={"services": [item]})
            assert [(e["kind"], e["action"]) for e in [await _next(socket), await _next(socket)]] == [
                ("service", "started"),
                ("state", "started"),
            ]
        finally:
            await socket.close()

    socket = await _subscribe(reader, c="0000000000000000")
    try:
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["type"] == "error" or message["payload"].get("errors"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["status"] == 404
    finally:
        await socket.close()


async def test_a_subscription_needs_a_key_with_its_role(servers: tuple[str, str], database_url: str) -> None:
    reader, _writer = servers
    url = reader.replace("http", "ws") + "/graphql"
    anonymous = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await anonymous.send(json.dumps({"type": "connection_init"}))  # no key in the header nor here
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(anonymous.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4401,
        "an API key is required: send Authorization: Bearer <key>",
    )
    wrong = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await wrong.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-key-at-all"}}))
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(wrong.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "the API key is unknown or revoked")
    with pytest.raises(InvalidStatus) as refused:  # another site's page, with the browser's credentials
        await connect(
            url,
            subprotocols=["graphql-transport-ws"],
            additional_headers=AUTH,  # type: ignore[list-item]
            origin="https://evil.example",
        )  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    created = await asyncio.to_thread(
        subprocess.run,
        [
            COMMAND,
            "keys",
            "create",
            "--name",
            "profiles-only",
            "--roles",
            "UCS.Customer.readProfile",
            "--database",
            database_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    secret = json.loads(created.stdout)["secret"]
    await asyncio.sleep(1)  # the server takes the new key within refresh_interval
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    try:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {secret}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {"s": 1}}})
        )
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["status"] == 403, message
        assert "UCS.Service.readService" in errors[0]["message"]
    finally:
        await socket.close()
