"""A desktop that reconnects catches up: journey events carry a sequence in commit order; a websocket
subscription given `after`, or an SSE stream reconnecting with Last-Event-ID, gets exactly the
events it missed (of its customer or service), then live ones; too many or purged ones are refused.
On PostgreSQL the subscriber's server and the writer's are two processes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.errors import Gone
from contextgraph.resolvers.server.live import QUEUE, Follower, JourneyEvent, LiveEvents, listen_dsn
from contextgraph.resolvers.store import journal
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.timefmt import now_ms
from tests.helpers import new_customer, new_service, new_state
from tests.servers import AUTH, free_port, wait_ready

SUBSCRIPTION = """subscription($c: ID, $s: Long, $after: Long) {
    journey(customerId: $c, serviceId: $s, after: $after) { kind action serviceId stateId sequence } }"""
SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def servers(serve, database_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A subscriber's server and a writer's: two processes on PostgreSQL, one on SQLite."""
    urls = []
    for _ in range(1 if database_url.startswith("sqlite") else 2):
        port = free_port()
        env = {"CONTEXTGRAPH_JOURNEY_REPLAY_LIMIT": "5", "CONTEXTGRAPH_RATE_LIMIT": "0"}
        process = serve("--port", str(port), "--database", database_url, env=env)
        urls.append(f"http://127.0.0.1:{port}")
        wait_ready(urls[-1], process)
    return urls[0], urls[-1]


@pytest.fixture
async def writer(servers: tuple[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers[1], headers=AUTH, timeout=10) as http:
        yield http


async def _subscribe(url: str, **variables: Any) -> ClientConnection:
    socket = await connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    body = {"query": SUBSCRIPTION, "variables": variables}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": body}))
    await asyncio.sleep(0.5)  # the protocol does not acknowledge a subscription
    return socket


async def _message(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 5))
    return message


async def _next(socket: ClientConnection) -> dict[str, Any]:
    message = await _message(socket)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["journey"]
    return event


async def _quiet(socket: ClientConnection) -> None:
    """Nothing more arrives (no duplicate)."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(socket.recv(), 0.7)


async def _refusal(socket: ClientConnection) -> dict[str, Any]:
    message = await _message(socket)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    error: dict[str, Any] = errors[0]
    return error


async def test_a_websocket_subscriber_resumes_after_the_last_event_it_saw(
    servers: tuple[str, str], writer: httpx.AsyncClient
) -> None:
    reader = servers[0]
    customer = await new_customer(writer)
    service = await new_service(writer, customer_id=customer)
    other = await new_service(writer, customer_id=await new_customer(writer, FirstName="Other"))
    socket = await _subscribe(reader, c=customer)
    first = await new_state(writer, service)
    seen = await _next(socket)
    assert (seen["stateId"], seen["sequence"] > 0) == (first, True)
    await socket.close()

    missed = [await new_state(writer, service) for _ in range(2)]
    await new_state(writer, other)  # another customer's: not this subscription's
    await writer.post(f"/services/{service}/states/{missed[0]}/end", json={})
    socket = await _subscribe(reader, c=customer, after=seen["sequence"])
    try:
        replayed = [await _next(socket) for _ in range(3)]
        assert [(e["action"], e["stateId"]) for e in replayed] == [
            ("started", missed[0]),
            ("started", missed[1]),
            ("completed", missed[0]),
        ]
        sequences = [e["sequence"] for e in replayed]
        assert seen["sequence"] < sequences[0] < sequences[1] < sequences[2]
        live = await new_state(writer, service)
        now = await _next(socket)
        assert (now["stateId"], now["sequence"] > sequences[-1]) == (live, True)
        await _quiet(socket)
    finally:
        await socket.close()


async def _sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, str, Any]]:
    """(id, event, data) of a text/event-stream; comments (heartbeats) skipped."""
    ident, event, data = "", "", ""
    async for line in response.aiter_lines():
        if line.startswith("id:"):
            ident = line[3:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event:
            yield ident, event, json.loads(data) if data else None
            ident, event, data = "", "", ""


async def test_an_sse_stream_reconnecting_with_last_event_id_gets_what_it_missed(
    servers: tuple[str, str], writer: httpx.AsyncClient
) -> None:
    service = await new_service(writer)
    params = {"query": SUBSCRIPTION, "variables": json.dumps({"s": service})}
    async with httpx.AsyncClient(base_url=servers[0], headers=AUTH, timeout=10) as http:
        async with http.stream("GET", "/graphql", params=params, headers=SSE) as stream:
            await asyncio.sleep(0.5)
            first = await new_state(writer, service)
            ident, event, data = await anext(_sse_events(stream))
        assert (event, data["data"]["journey"]["stateId"]) == ("next", first)
        assert ident == str(data["data"]["journey"]["sequence"])  # what EventSource sends back

        missed = [await new_state(writer, service) for _ in range(3)]
        async with http.stream("GET", "/graphql", params=params, headers=SSE | {"Last-Event-ID": ident}) as stream:
            events = _sse_events(stream)
            replayed = [await anext(events) for _ in missed]
            assert [d["data"]["journey"]["stateId"] for _i, _e, d in replayed] == missed
            assert [int(i) for i, _e, _d in replayed] == [d["data"]["journey"]["sequence"] for _i, _e, d in replayed]
            live = await new_state(writer, service)
            ident, _event, data = await asyncio.wait_for(anext(events), 5)
            assert data["data"]["journey"]["stateId"] == live
            assert int(ident) > int(replayed[-1][0])


async def test_replaying_more_than_the_limit_is_refused_with_a_reason(
    servers: tuple[str, str], writer: httpx.AsyncClient
) -> None:
    service = await new_service(writer)
    socket = await _subscribe(servers[0], s=service)
    await new_state(writer, service)
    seen = await _next(socket)
    await socket.close()
    for _ in range(6):  # the servers replay at most 5
        await new_state(writer, service)
    socket = await _subscribe(servers[0], s=service, after=seen["sequence"])
    error = await _refusal(socket)
    await socket.close()
    assert error["extensions"]["status"] == 410
    assert "more than 5 events" in error["message"]
    assert "reload" in error["message"]
    # From the newest it saw, the same client resumes (five events are within the bound).
    socket = await _subscribe(servers[0], s=service, after=seen["sequence"] + 1)
    try:
        assert len([await _next(socket) for _ in range(5)]) == 5
        await _quiet(socket)
    finally:
        await socket.close()


async def test_a_purged_or_unknown_sequence_is_refused(
    servers: tuple[str, str], writer: httpx.AsyncClient, database_url: str
) -> None:
    service = await new_service(writer)
    await new_state(writer, service)
    settings = load_settings(None, database=database_url)
    db = Database(settings.async_database_url)
    try:
        async with db.write() as conn:
            newest = await conn.scalar(sa.text("SELECT max(sequence) FROM journey_event"))
            assert await journal.purge(conn, now_ms() + 1) > 0  # as the periodic purge does, later
    finally:
        await db.dispose()
    for after, fragment in ((newest - 1, "no longer kept"), (newest + 10, "there is no event")):
        socket = await _subscribe(servers[0], s=service, after=after)
        error = await _refusal(socket)
        await socket.close()
        assert error["extensions"]["status"] == 410, error
        assert fragment in error["message"], error
    async with httpx.AsyncClient(base_url=servers[0], headers=AUTH, timeout=10) as http:
        params = {"query": SUBSCRIPTION, "variables": json.dumps({"s": service})}
        for bad in ("-1", "abc", str(2**64)):  # a Last-Event-ID a client made up
            async with http.stream("GET", "/graphql", params=params, headers=SSE | {"Last-Event-ID": bad}) as stream:
                _i, event, data = await anext(_sse_events(stream))
            assert (event, data["errors"][0]["extensions"]["status"]) == ("next", 400), data
    # At the newest sequence, nothing is missing: the subscription goes on live.
    socket = await _subscribe(servers[0], s=service, after=newest)
    try:
        live = await new_state(writer, service)
        assert (await _next(socket))["stateId"] == live
    finally:
        await socket.close()


async def test_sequences_follow_commit_order(
    servers: tuple[str, str], writer: httpx.AsyncClient, database_url: str
) -> None:
    """An event numbered first but committed last would be skipped by a client resuming after the
    later one: a write that records an event waits for an open transaction that recorded one."""
    service = await new_service(writer)
    state = await new_state(writer, service)
    socket = await _subscribe(servers[0], s=service)
    settings = load_settings(None, database=database_url)
    db = Database(settings.async_database_url)
    live = LiveEvents(db, listen_dsn(db.url))
    try:
        async with db.write() as conn:  # another writer's transaction, still open
            held = await live.record(conn, "state", "completed", service, state_id=state)
            started = asyncio.create_task(writer.post(f"/services/{service}/states/start", json={"state_type": 2}))
            await asyncio.sleep(1)
            assert not started.done()  # it waits for this transaction to commit
        later = (await started).json()["state_id"]
        events = [await _next(socket), await _next(socket)]
        assert [(e["stateId"], e["sequence"]) for e in events] == [(state, held.sequence), (later, held.sequence + 1)]

        # Many writers at once: every event arrives once, in sequence order.
        made = await asyncio.gather(*(new_state(writer, service) for _ in range(12)))
        arrived = [await _next(socket) for _ in made]
        assert sorted(e["stateId"] for e in arrived) == sorted(made)
        assert [e["sequence"] for e in arrived] == sorted({e["sequence"] for e in arrived})
        await _quiet(socket)
    finally:
        await socket.close()
        await db.dispose()


async def test_a_subscriber_that_falls_behind_is_told_where_to_resume(tmp_path: Any) -> None:
    """Past its queue, a slow subscriber's events are not dropped silently: it ends with the
    sequence to resume after."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    live = LiveEvents(db, None)
    follower = live.follow(service_id=1)
    for sequence in range(1, QUEUE + 2):
        live._deliver(JourneyEvent("state", "started", 1, None, state_id=sequence, sequence=sequence))
    received = await asyncio.wait_for(_collected(_until_refused(follower)), 5)
    assert received[:-1] == list(range(1, QUEUE + 1))
    assert received[-1] == f"subscribe again with after: {QUEUE}"
    assert not live._subscribers  # it stopped receiving
    await db.dispose()


async def _until_refused(follower: Follower) -> AsyncIterator[Any]:
    try:
        async for event in follower:
            yield event.sequence
    except Gone as gone:
        yield str(gone).split("; ")[-1]


async def _collected(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_resuming_on_either_of_two_workers(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """`serve --workers 2`: each reconnection may land on the other worker; it still resumes exactly."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, serve("--port", str(port), "--database", database_url, "--workers", "2"))
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=10) as http:
        service = await new_service(http)
        socket = await _subscribe(url, s=service)
        await new_state(http, service)
        after = (await _next(socket))["sequence"]
        for _ in range(4):
            await socket.close()
            missed = [await new_state(http, service) for _ in range(2)]
            socket = await _subscribe(url, s=service, after=after)
            replayed = [await _next(socket) for _ in missed]
            assert [e["stateId"] for e in replayed] == missed
            live = await new_state(http, service)
            now = await _next(socket)
            assert now["stateId"] == live
            await _quiet(socket)
            after = now["sequence"]
        await socket.close()


async def test_an_event_both_replayed_and_live_arrives_once(tmp_path: Any) -> None:
    """Registered before it reads what it missed, a subscriber may get an event both ways."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    live = LiveEvents(db, None)
    follower = live.follow(service_id=1)
    events = [JourneyEvent("state", "started", 1, None, state_id=n, sequence=n) for n in (4, 5, 6)]
    follower.replay(events[:2])
    for event in events[1:]:  # committed while it read: 5 is in both
        live._deliver(event)
    received = [await asyncio.wait_for(anext(follower), 1) for _ in range(3)]
    assert [e.sequence for e in received] == [4, 5, 6]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(follower), 0.2)
    follower.close()
    assert not live._subscribers
    await db.dispose()
