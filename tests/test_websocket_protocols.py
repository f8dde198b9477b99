"""Both websocket protocols carry queries and mutations as HTTP does, errors shaped as over HTTP,
and a client's malformed messages never put a traceback in the log; /graphql refusals over HTTP
are GraphQL-shaped JSON.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.servers import AUTH, free_port, wait_ready

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
START = 'mutation { startService(input: {contactKey: "k", serviceType: "100"}) { id } }'


@pytest.fixture
def server(serve, database_url: str) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, serve("--port", str(port), "--database", database_url))
    return url


async def _open(url: str, protocol: str) -> ClientConnection:
    socket = await connect(url.replace("http", "ws") + "/graphql", subprotocols=[protocol])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    return socket


async def _answer(socket: ClientConnection, wanted: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if message.get("id") == wanted and message["type"] != "complete":
            return message


@pytest.mark.parametrize("protocol", ["graphql-ws", "graphql-transport-ws"])
async def test_mutations_and_queries_run_over_both_protocols(server: str, protocol: str, tmp_path: Path) -> None:
    socket = await _open(server, protocol)
    kind = "start" if protocol == "graphql-ws" else "subscribe"
    await socket.send(json.dumps({"id": "m", "type": kind, "payload": {"query": START}}))
    started = await _answer(socket, "m")
    assert started["type"] in ("data", "next"), started
    service_id = started["payload"]["data"]["startService"]["id"]
    query = "query($s: ID!) { service(id: $s) { id active } }"
    await socket.send(
        json.dumps({"id": "q", "type": kind, "payload": {"query": query, "variables": {"s": service_id}}})
    )
    assert (await _answer(socket, "q"))["payload"] == {"data": {"service": {"id": service_id, "active": True}}}
    # The client's mistake is shaped as over HTTP: a 404 and a 400 with their codes, nothing masked.
    await socket.send(json.dumps({"id": "e", "type": kind, "payload": {"query": query, "variables": {"s": 999999}}}))
    missing = (await _answer(socket, "e"))["payload"]
    assert missing["errors"][0]["extensions"]["status"] == 404, missing
    bad = 'mutation { startService(input: {contactKey: "k"}) { id } }'
    await socket.send(json.dumps({"id": "b", "type": kind, "payload": {"query": bad}}))
    refused = (await _answer(socket, "b"))["payload"]
    errors = refused if isinstance(refused, list) else refused.get("errors", [refused])
    assert errors[0]["extensions"]["status"] == 400, refused
    await socket.close()
    async with httpx.AsyncClient(base_url=server, headers=AUTH) as http:
        over_http = (await http.post("/graphql", json={"query": bad})).json()
    assert over_http["errors"][0]["message"] == errors[0]["message"]
    assert "Traceback" not in (tmp_path / "server-0.log").read_text()


BAD_MESSAGES: list[Any] = [
    "not json",
    [],
    1,
    None,
    {"no": "type"},
    {"type": 5},
    {"type": "unknown"},
    {"type": "start"},
    {"type": "subscribe"},
    {"id": "1", "type": "start", "payload": "x"},
    {"id": "1", "type": "subscribe", "payload": {"query": 5}},
    {"id": "2", "type": "start", "payload": {"query": "{ __typename }", "variables": [1]}},
    {"id": "3", "type": "start", "payload": {"query": "{ nope }"}},
    {"id": "4", "type": "start", "payload": {"query": "{"}},
    {"id": "5", "type": "start", "payload": {"query": "query A { __typename }", "operationName": "B"}},
    {"id": "6", "type": "subscribe", "payload": {"query": "{ __typename }", "operationName": 7}},
    {"type": "stop"},
    {"type": "complete", "id": 3},
    {"type": "connection_init", "payload": [1]},
]


async def _answered_or_closed(socket: ClientConnection) -> int | None:
    """None when the server answered (or kept quiet), else the code it closed the socket with."""
    try:
        await asyncio.wait_for(socket.recv(), 5)
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    return None


async def test_malformed_messages_log_no_traceback(server: str, tmp_path: Path) -> None:
    codes: list[int | None] = []
    for protocol in ("graphql-ws", "graphql-transport-ws"):
        for _ in range(5):
            for message in BAD_MESSAGES:
                socket = await _open(server, protocol)
                await socket.send(message if isinstance(message, str) else json.dumps(message))
                await socket.send(json.dumps({"id": "ok", "type": "start", "payload": {"query": "{ __typename }"}}))
                codes.append(await _answered_or_closed(socket))
                await socket.close()
    assert set(codes) <= {None, 4400}, codes
    await asyncio.sleep(0.5)
    log = (tmp_path / "server-0.log").read_text()
    assert "Traceback" not in log
    assert "unexpected error" not in log.lower()


async def test_graphql_refusals_over_http_are_graphql_errors(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers=AUTH) as http:
        cases = [
            (
                http.post("/graphql", content=b"{not json", headers={"content-type": "application/json"}),
                400,
            ),
            (http.post("/graphql", content=b"query { __typename }", headers={"content-type": "text/plain"}), 415),
            (http.post("/graphql", json={"query": 5}), 400),
            (http.post("/graphql", json={"variables": {}}), 400),
            (http.get("/graphql", params={"query": "{ __typename }", "variables": "{bad"}), 400),
            (http.get("/graphql", params={"query": "mutation { __typename }"}), 400),
        ]
        for sent, status in cases:
            response = await sent
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert set(body) == {"errors"}, body
            assert body["errors"][0]["message"]
            assert body["errors"][0]["extensions"]["status"] == status
