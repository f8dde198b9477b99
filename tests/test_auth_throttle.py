"""Wrong API keys are throttled per client address (issue 15, item 7): 20 a minute, then 429 with
Retry-After for whatever that address sends with a key; other addresses are served. Behind a
trusted proxy the address is the one its X-Forwarded-For names; anyone else's is ignored.

In-process on both databases (the answers), then on a real server (the address a connection
really comes from: Linux serves all of 127.0.0.0/8 on loopback).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers import assert_error
from tests.servers import AUTH, free_port, wait_ready

WRONG = {"Authorization": "Bearer not-a-key-of-this-server"}
GUESSER, OTHER, PROXY = "203.0.113.7", "203.0.113.8", "10.0.0.1"


def _from(app: Starlette, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"trusted_proxies": [PROXY]}


@pytest.fixture
async def clients(app: Starlette) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients = {address: _from(app, address) for address in (GUESSER, OTHER, PROXY)}
    yield clients
    for client in clients.values():
        await client.aclose()


async def _guess(client: httpx.AsyncClient, times: int, **headers: str) -> list[int]:
    return [(await client.get("/services/1", headers=WRONG | headers)).status_code for _ in range(times)]


async def test_an_address_that_guesses_keys_is_throttled_and_others_are_served(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    guesser, other = clients[GUESSER], clients[OTHER]
    assert await _guess(guesser, 20) == [401] * 20
    over = await guesser.get("/services/1", headers=WRONG)
    assert_error(over, 429, method="GET", fragment="too many wrong API keys")
    assert 1 <= int(over.headers["retry-after"]) <= 3  # one more guess every 3 s
    # The right key does not get through either while the address is throttled: guessing stays blind.
    assert (await guesser.get("/server/status", headers=AUTH)).status_code == 429
    graphql = await guesser.post("/graphql", json={"query": "{ serverStatus }"}, headers=AUTH)
    assert graphql.status_code == 429
    assert graphql.json()["errors"][0]["extensions"] == {"code": 4290, "status": 429}
    assert (await guesser.get("/server/status")).json() == {"ready": True}  # the keyless probe still answers
    assert (await other.get("/server/status", headers=AUTH)).status_code == 200
    assert await _guess(other, 1) == [401]  # its own allowance


async def test_a_trusted_proxy_is_throttled_per_client_it_forwards_for(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    proxy = clients[PROXY]
    assert await _guess(proxy, 21, **{"X-Forwarded-For": "198.51.100.1"}) == [401] * 20 + [429]
    served = await proxy.get("/server/status", headers=AUTH | {"X-Forwarded-For": "198.51.100.2"})
    assert served.status_code == 200
    # A client's own X-Forwarded-For in front of the proxy's entry changes nothing: the proxy's is believed.
    spoofed = {"X-Forwarded-For": "198.51.100.2, 198.51.100.1"}
    assert (await proxy.get("/server/status", headers=AUTH | spoofed)).status_code == 429


async def test_an_untrusted_clients_forwarded_for_is_ignored(clients: dict[str, httpx.AsyncClient]) -> None:
    guesser = clients[GUESSER]
    statuses = [
        (await guesser.get("/services/1", headers=WRONG | {"X-Forwarded-For": f"198.51.100.{n}"})).status_code
        for n in range(21)
    ]
    assert statuses == [401] * 20 + [429]


class TestRefill:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"auth_failures_per_minute": 60}

    async def test_the_allowance_comes_back_with_time(self, app: Starlette) -> None:
        async with _from(app, GUESSER) as guesser:
            assert await _guess(guesser, 61) == [401] * 60 + [429]
            await asyncio.sleep(1.1)
            assert await _guess(guesser, 2) == [401, 429]


# -- on a real server -----------------------------------------------------------------------------
def _status(base: str, address: str, headers: dict[str, str]) -> int:
    with httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address)) as http:
        return http.get("/services/1", headers=headers).status_code


def _start(serve: Callable[..., Popen[bytes]], tmp_path: Path, **env: str) -> str:
    port = free_port()
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'throttle.db'}", env=env)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return base


def test_a_served_process_throttles_by_the_connections_address(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    base = _start(serve, tmp_path)
    # uvicorn alone would believe X-Forwarded-For from any loopback client: each guess a new address.
    statuses = [_status(base, "127.0.0.1", WRONG | {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(21)]
    assert statuses == [401] * 20 + [429]
    assert _status(base, "127.0.0.2", AUTH) == 404  # another address: served (no service 1 yet)


def test_a_trusted_proxy_forwards_for_its_clients_on_a_served_process(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    base = _start(serve, tmp_path, CONTEXTGRAPH_TRUSTED_PROXIES="127.0.0.1")
    forwarded = [_status(base, "127.0.0.1", WRONG | {"X-Forwarded-For": "198.51.100.1"}) for _ in range(21)]
    assert forwarded == [401] * 20 + [429]
    assert _status(base, "127.0.0.1", AUTH | {"X-Forwarded-For": "198.51.100.2"}) == 404
    untrusted = [_status(base, "127.0.0.2", WRONG | {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(21)]
    assert untrusted == [401] * 20 + [429]

    async def websocket(address: str, **options: Any) -> str | int | None:
        url = base.replace("http", "ws") + "/graphql"
        try:
            async with connect(
                url, subprotocols=["graphql-transport-ws"], local_addr=(address, 0), **options
            ) as socket:  # type: ignore[list-item]
                await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
                with contextlib.suppress(ConnectionClosed):
                    return str(json.loads(await asyncio.wait_for(socket.recv(), 5))["type"])
                return socket.close_code
        except InvalidStatus as refused:
            return refused.response.status_code

    # The throttled address cannot name even the right key in a websocket's connection_init, nor
    # in the handshake's header (refused before the upgrade); another address can.
    assert asyncio.run(websocket("127.0.0.2")) == 4429  # the close code README gives a throttled address
    assert asyncio.run(websocket("127.0.0.2", additional_headers=AUTH)) == 429
    assert asyncio.run(websocket("127.0.0.3")) == "connection_ack"
