"""GraphQL over Server-Sent Events (graphql-sse, distinct connections): the same events as the
websocket, the same keys and roles, and a revoked key's stream ends with the error saying so.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.servers import AUTH, COMMAND, free_port, wait_ready

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SUBSCRIPTION = "subscription($s: Long) { journey(serviceId: $s) { kind action serviceId stateId } }"
SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def server(serve, database_url: str) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, serve("--port", str(port), "--database", database_url))
    return url


def _create_key(name: str, roles: str, database_url: str) -> str:
    command = [COMMAND, "keys", "create", "--name", name, "--roles", roles, "--database", database_url]
    secret: str = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)["secret"]
    return secret


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) of a text/event-stream; comments (heartbeats) skipped."""
    event, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event:
            yield event, json.loads(data) if data else None
            event, data = "", ""


async def test_an_sse_subscription_gets_the_events_the_websocket_gets(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers=AUTH, timeout=10) as http:
        service_id = (await http.post("/services/start", json={"service_type": 1, "contact_key": "k"})).json()[
            "service_id"
        ]
        socket = await connect(server.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
        await socket.recv()
        body = {"query": SUBSCRIPTION, "variables": {"s": service_id}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": body}))
        async with http.stream("POST", "/graphql", json=body, headers=SSE) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            await asyncio.sleep(0.5)
            states = [
                (await http.post(f"/services/{service_id}/states/start", json={"state_type": n})).json()["state_id"]
                for n in range(3)
            ]
            over_sse = []
            async for event, data in _events(stream):
                assert event == "next"
                over_sse.append(data)
                if len(over_sse) == 3:
                    break
        over_ws = [json.loads(await asyncio.wait_for(socket.recv(), 5))["payload"] for _ in states]
        await socket.close()
    assert over_sse == over_ws
    assert [e["data"]["journey"]["stateId"] for e in over_sse] == states


async def test_sse_needs_a_key_with_its_role(server: str, database_url: str) -> None:
    body = {"query": SUBSCRIPTION, "variables": {"s": 1}}
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        assert (await http.post("/graphql", json=body, headers=SSE)).status_code == 401
        wrong = await http.post("/graphql", json=body, headers=SSE | {"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["errors"][0]["message"] == "the API key is unknown or revoked"
    secret = await asyncio.to_thread(_create_key, "p", "UCS.Customer.readProfile", database_url)
    await asyncio.sleep(1)
    async with (
        httpx.AsyncClient(base_url=server, timeout=10, headers={"Authorization": f"Bearer {secret}"}) as http,
        http.stream("POST", "/graphql", json=body, headers=SSE) as stream,
    ):
        event, data = await anext(_events(stream))
    assert event == "next"
    assert data["errors"][0]["extensions"]["status"] == 403
    assert "UCS.Service.readService" in data["errors"][0]["message"]


async def test_a_revoked_key_ends_its_sse_streams(server: str, database_url: str) -> None:
    secret = await asyncio.to_thread(_create_key, "desk", "all", database_url)
    await asyncio.sleep(1)
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(base_url=server, headers=headers, timeout=10) as http:
        service_id = (await http.post("/services/start", json={"service_type": 1, "contact_key": "k"})).json()[
            "service_id"
        ]
        body = {"query": SUBSCRIPTION, "variables": {"s": service_id}}
        async with http.stream("POST", "/graphql", json=body, headers=SSE) as stream:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(
                subprocess.run, [COMMAND, "keys", "revoke", "desk", "--database", database_url], check=True
            )
            revoked = time.monotonic()
            received = [item async for item in _events(stream)]  # the stream ends
            ended = time.monotonic() - revoked
    assert [event for event, _data in received] == ["next", "complete"]
    error = received[0][1]["errors"][0]
    assert (error["message"], error["extensions"]["status"]) == ("the API key was revoked", 401)
    assert ended < 1.0


async def test_a_query_from_a_client_that_prefers_json_is_answered_in_json(client: httpx.AsyncClient) -> None:
    """urql (and others) list text/event-stream after the JSON types on every query: JSON it is. A
    client that prefers the stream (graphql-sse sends only text/event-stream) gets the stream."""
    urql = "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
    for accept, expected in (
        (urql, "application/graphql-response+json"),
        ("application/json;q=0.5, text/event-stream", "text/event-stream"),
        ("text/event-stream;q=0.2, application/json", "application/json"),
    ):
        for request in (
            client.build_request("GET", "/graphql", params={"query": "{ serverStatus }"}, headers={"accept": accept}),
            client.build_request("POST", "/graphql", json={"query": "{ serverStatus }"}, headers={"accept": accept}),
        ):
            response = await client.send(request)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith(expected), (accept, response.headers["content-type"])
            assert "serverStatus" in response.text
