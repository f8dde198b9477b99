"""Websockets against real server processes: a revoked key's sockets close within a second in
every worker; the rate limit, the time limit and the key's roles of now apply to every operation
on an open socket, as they do to HTTP requests.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from typing import Any

import pytest
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.tables import api_key_t
from contextgraph.resolvers.store.versions import KEYS, bump_version
from tests.servers import AUTH, COMMAND, free_port, wait_ready

STATUS = "{ serverStatus }"


def _cli(*args: str) -> dict[str, Any]:
    done = subprocess.run([COMMAND, *args], capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


async def _open(url: str, secret: str, protocol: str, *, in_header: bool = False) -> ClientConnection:
    headers = {"Authorization": f"Bearer {secret}"} if in_header else None
    socket = await connect(url, subprotocols=[protocol], additional_headers=headers)  # type: ignore[list-item]
    payload = {} if in_header else {"Authorization": f"Bearer {secret}"}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
    return socket


async def _ask(socket: ClientConnection, protocol: str, n: int, query: str, **variables: Any) -> dict[str, Any]:
    """One operation; its answer (the `next`/`data` payload, or an `error` message's errors)."""
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await socket.send(json.dumps({"id": str(n), "type": kind, "payload": {"query": query, "variables": variables}}))
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message.get("id") != str(n) or message["type"] == "complete":
            continue
        if message["type"] == "error":
            errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
            return {"errors": errors}
        answer: dict[str, Any] = message["payload"]
        return answer


@pytest.fixture
def server(serve, database_url: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """`contextgraph serve` (two workers on PostgreSQL) with the environment the test names."""

    def start(**env: str) -> str:
        port = free_port()
        workers = ["--workers", "2"] if database_url.startswith("postgresql") else []
        process = serve("--port", str(port), "--database", database_url, *workers, env=env)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process)
        return url

    return start


async def test_a_revoked_key_closes_its_sockets_within_a_second_in_every_worker(server, database_url: str) -> None:  # type: ignore[no-untyped-def]
    url = server().replace("http", "ws") + "/graphql"
    secret = _cli("keys", "create", "--name", "desk", "--roles", "all", "--database", database_url)["secret"]
    other = _cli("keys", "create", "--name", "other", "--roles", "all", "--database", database_url)["secret"]
    await asyncio.sleep(1)  # every worker takes the new keys within refresh_interval
    sockets = []
    for n in range(8):  # the kernel spreads new connections over the workers
        protocol = ("graphql-transport-ws", "graphql-ws")[n % 2]
        socket = await _open(url, secret, protocol, in_header=n % 4 >= 2)
        answer = await _ask(socket, protocol, 1, STATUS)
        sockets.append((socket, protocol, answer["data"]["serverStatus"]["process_id"]))
        if protocol == "graphql-transport-ws":  # a live subscription on it too
            await socket.send(
                json.dumps(
                    {
                        "id": "live",
                        "type": "subscribe",
                        "payload": {"query": "subscription { journey(serviceId: 1) { kind } }"},
                    }
                )
            )
    if database_url.startswith("postgresql"):
        assert len({pid for _s, _p, pid in sockets}) == 2, "the sockets did not spread over both workers"
    bystander = await _open(url, other, "graphql-transport-ws")

    await asyncio.to_thread(_cli, "keys", "revoke", "desk", "--database", database_url)
    revoked = time.monotonic()

    async def closed(socket: ClientConnection) -> tuple[tuple[int, str], float]:
        try:  # what was in flight (answers, the subscription's end) comes first
            while True:
                await asyncio.wait_for(socket.recv(), 5)
        except ConnectionClosed as ended:
            close = ended.rcvd
            return (close.code, close.reason) if close else (-1, ""), time.monotonic() - revoked

    results = await asyncio.gather(*(closed(socket) for socket, _p, _pid in sockets))
    assert {close for close, _t in results} == {(4401, "the API key was revoked")}
    assert max(t for _close, t in results) < 1.0, results
    answer = await _ask(bystander, "graphql-transport-ws", 1, STATUS)  # another key's socket goes on
    assert "errors" not in answer
    await bystander.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_operation_on_a_socket_spends_the_rate_limit(server) -> None:  # type: ignore[no-untyped-def]
    url = server(CONTEXTGRAPH_RATE_LIMIT="100", CONTEXTGRAPH_RATE_LIMIT_BURST="200").replace("http", "ws") + "/graphql"
    socket = await _open(url, AUTH["Authorization"].split()[1], "graphql-transport-ws")
    started = time.monotonic()
    query = "{ __typename }"
    answers: dict[str, Any] = {}
    for window in range(0, 1500, 50):  # Strawberry runs at most 100 operations of a socket at once
        for n in range(window, window + 50):
            await socket.send(json.dumps({"id": str(n), "type": "subscribe", "payload": {"query": query}}))
        while len(answers) < window + 50:
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            if message["type"] in ("next", "error"):
                answers[message["id"]] = message["payload"]
    elapsed = time.monotonic() - started
    refused = [a for a in answers.values() if "errors" in a or isinstance(a, list)]
    served = 1500 - len(refused)
    assert served <= 200 + 100 * elapsed + 5, (served, elapsed)
    assert len(refused) >= 1500 - 200 - 100 * elapsed - 5
    error = refused[0][0] if isinstance(refused[0], list) else refused[0]["errors"][0]
    assert error["extensions"]["code"] == 4290
    assert "limit of 100 requests per second" in error["message"]
    await asyncio.sleep(1.2)  # the bucket refills: the socket is still usable
    assert (await _ask(socket, "graphql-transport-ws", 99999, query))["data"] == {"__typename": "Query"}
    await socket.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_slow_operation_over_a_socket_hits_the_time_limit(server) -> None:  # type: ignore[no-untyped-def]
    url = server(CONTEXTGRAPH_GRAPHQL_TIMEOUT="0.000001").replace("http", "ws") + "/graphql"
    for protocol in ("graphql-transport-ws", "graphql-ws"):
        socket = await _open(url, AUTH["Authorization"].split()[1], protocol)
        answer = await _ask(socket, protocol, 1, '{ customer(id: "0000000000000000") { id } }')
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == 5030, answer
        assert "did not finish within" in answer["errors"][0]["message"]
        await socket.close()


async def test_a_key_whose_roles_change_runs_only_what_they_allow_now(server, database_url: str) -> None:  # type: ignore[no-untyped-def]
    url = server().replace("http", "ws") + "/graphql"
    secret = _cli("keys", "create", "--name", "desk", "--roles", "all", "--database", database_url)["secret"]
    await asyncio.sleep(1)
    socket = await _open(url, secret, "graphql-transport-ws")
    assert "errors" not in await _ask(socket, "graphql-transport-ws", 1, STATUS)

    database = Database(load_settings(None, database=database_url).async_database_url)
    try:
        async with database.write() as conn:  # an operator takes the role away
            await conn.execute(
                sa.update(api_key_t).where(api_key_t.c.name == "desk").values(roles=["UCS.Customer.readProfile"])
            )
            await bump_version(conn, KEYS)
    finally:
        await database.dispose()
    await asyncio.sleep(1)

    answer = await _ask(socket, "graphql-transport-ws", 2, STATUS)
    assert answer["errors"][0]["extensions"]["status"] == 403, answer
    assert "UCS.SystemMgt.readServerInfo" in answer["errors"][0]["message"]
    await socket.close()
