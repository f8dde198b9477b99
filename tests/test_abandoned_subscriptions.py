"""A subscription whose client vanishes (the connection reset, no close frame) lets go of all it
held: its socket, its context, its event source. On a quiet service no event ever comes to
notice the client is gone, so the server must let go when the connection drops; before, the wait
for the next event outlived the socket and kept ~80 KB per abandoned subscription for good
(tests/test_memory.py saw RSS grow without end).

A real uvicorn server in the test's own event loop, so the test can count what the server holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from tests.servers import AUTH, free_port

SUBSCRIPTION = "subscription($s: Long) { journey(serviceId: $s) { action stateId } }"
ABANDONED = 5


@pytest.fixture
async def served(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    assert await _until(lambda: server.started), "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


async def _until(condition: Callable[[], bool], seconds: float = 5) -> bool:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def _abandon(url: str, service_id: int, n: int) -> None:
    """Subscribe to a quiet service's journey, then drop the connection without closing it."""
    socket = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    payload = {"query": SUBSCRIPTION, "variables": {"s": service_id}}
    await socket.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
    await asyncio.sleep(0.2)  # the server starts the subscription
    socket.transport.abort()


async def _abandon_stream(url: str, service_id: int, n: int) -> None:
    """The same over Server-Sent Events (graphql-sse): the stream opened, then the connection reset."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"query": SUBSCRIPTION, "variables": {"s": service_id}}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: {AUTH['Authorization']}\r\n"
        f"Accept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head.encode() + body)
    assert (await reader.readline()).startswith(b"HTTP/1.1 200"), n
    await asyncio.sleep(0.2)  # the server starts the subscription
    writer.transport.abort()


@pytest.mark.parametrize("transport", ["websocket", "event stream"])
async def test_abandoned_subscriptions_leave_nothing_behind(app: Starlette, served: str, transport: str) -> None:
    async with httpx.AsyncClient(base_url=served, headers=AUTH) as http:
        customer = (await http.post("/profiles", json={"FirstName": "Ada"})).json()["customer_id"]
        started = await http.post("/services/start", json={"service_type": 1, "customer_id": customer})
        service_id = started.json()["service_id"]
    live = app.state.runtime.live
    tasks = len(asyncio.all_tasks())

    for n in range(ABANDONED):
        if transport == "websocket":
            await _abandon(served.replace("http", "ws") + "/graphql", service_id, n)
        else:
            await _abandon_stream(served, service_id, n)
        await asyncio.sleep(0.05)
        assert live.listening <= n + 1

    assert await _until(lambda: live.listening == 0), f"{live.listening} abandoned subscriptions still listen"
    assert await _until(lambda: len(asyncio.all_tasks()) <= tasks), [
        repr(task.get_coro()) for task in asyncio.all_tasks()
    ]
