"""Connections that send nothing useful are closed (issue 15, item 7), on a real server process:
slowloris connections within the header timeout, connections over the cap at once, a websocket
that never sends connection_init within the same timeout; real clients keep being served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import httpx
from websockets.asyncio.client import connect

from tests.servers import AUTH, free_port, wait_ready

TIMEOUT = 1.0  # the servers' header_timeout here
SLACK = 1.0  # what a loaded machine may add before the server gets to close them


def _start(serve: Callable[..., Popen[bytes]], tmp_path: Path, **settings: str) -> tuple[Popen[bytes], str, int]:
    port = free_port()
    env = {f"CONTEXTGRAPH_{name.upper()}": value for name, value in settings.items()}
    process = serve(
        "--port",
        str(port),
        "--database",
        f"sqlite:///{tmp_path / 'connections.db'}",
        env={"CONTEXTGRAPH_HEADER_TIMEOUT": str(TIMEOUT)} | env,
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base, port


async def _closed_after(port: int, first: bytes, trickle: bytes | None, give_up: float) -> float:
    """Seconds until the server closes a connection that sends `first`, then `trickle` every 0.3 s."""
    opened = time.monotonic()  # before connecting: the server's clock starts once it has accepted
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(first)
    try:
        while time.monotonic() - opened < give_up:
            try:
                if await asyncio.wait_for(reader.read(4096), 0.3) == b"":
                    break
            except TimeoutError:
                if trickle:
                    writer.write(trickle)
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - opened


def test_connections_that_never_finish_their_headers_are_closed_within_the_header_timeout(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    _, base, port = _start(serve, tmp_path)

    async def attack() -> list[float]:
        idle = [_closed_after(port, b"", None, 10) for _ in range(100)]
        slowloris = [
            _closed_after(port, b"GET /server/status HTTP/1.1\r\nHost: x\r\n", b"X-a: b\r\n", 10) for _ in range(100)
        ]
        return await asyncio.gather(*idle, *slowloris)

    lasted = asyncio.run(attack())
    assert max(lasted) < TIMEOUT + SLACK, sorted(lasted)[-5:]
    assert min(lasted) > TIMEOUT * 0.9  # the timeout, not some earlier refusal
    with httpx.Client(base_url=base, headers=AUTH) as http:  # a real client, meanwhile and after
        assert http.get("/server/status").status_code == 200
        time.sleep(TIMEOUT / 2)
        assert http.get("/server/status").status_code == 200  # its kept-alive connection was not cut


def test_every_worker_closes_them(serve: Callable[..., Popen[bytes]], tmp_path: Path) -> None:
    port = free_port()
    process = serve(
        "--port",
        str(port),
        "--workers",
        "2",
        "--database",
        f"sqlite:///{tmp_path / 'workers.db'}",
        env={"CONTEXTGRAPH_HEADER_TIMEOUT": str(TIMEOUT)},
    )
    wait_ready(f"http://127.0.0.1:{port}", process)

    async def attack() -> list[float]:
        return await asyncio.gather(*(_closed_after(port, b"GET / HTTP/1.1\r\n", b"X-a: b\r\n", 10) for _ in range(40)))

    lasted = asyncio.run(attack())  # the kernel spreads the 40 over both workers
    assert max(lasted) < TIMEOUT + SLACK, sorted(lasted)[-5:]


def test_a_kept_alive_connection_must_finish_its_next_request_in_time_too(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    _, _, port = _start(serve, tmp_path)
    request = b"GET /server/status HTTP/1.1\r\nHost: x\r\n\r\n"
    lasted = asyncio.run(_closed_after(port, request + b"GET /server/status HTTP/1.1\r\n", b"X-a: b\r\n", 10))
    assert lasted < TIMEOUT + SLACK


def test_connections_over_the_cap_are_closed_at_once_and_descriptors_stay_free(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    process, base, port = _start(serve, tmp_path, max_connections="20", header_timeout="3")
    descriptors = len(os.listdir(f"/proc/{process.pid}/fd"))

    async def flood() -> None:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        await asyncio.sleep(0.2)
        extra = [await asyncio.open_connection("127.0.0.1", port) for _ in range(200)]
        started = time.monotonic()
        ends = await asyncio.gather(*(asyncio.wait_for(reader.read(), 5) for reader, _ in extra))
        assert ends == [b""] * 200
        assert time.monotonic() - started < 1  # closed without waiting for anything
        assert len(os.listdir(f"/proc/{process.pid}/fd")) <= descriptors + 20 + 5
        async with httpx.AsyncClient(base_url=base, headers=AUTH) as http:
            try:
                await http.get("/server/status")
                raise AssertionError("a connection over the cap was served")
            except httpx.TransportError:
                pass
            await asyncio.sleep(3 + SLACK)  # the 20 idle ones are closed by the header timeout
            assert (await http.get("/server/status")).status_code == 200
        for _, writer in held + extra:
            writer.close()

    asyncio.run(flood())


def test_a_websocket_that_never_names_its_key_is_closed_within_the_header_timeout(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    _, base, _ = _start(serve, tmp_path)

    async def silent() -> tuple[float, int | None]:
        started = time.monotonic()
        async with connect(base.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(socket.wait_closed(), 10)
            return time.monotonic() - started, socket.close_code

    lasted, code = asyncio.run(silent())
    assert lasted < TIMEOUT + SLACK
    assert code == 4408  # graphql-transport-ws: "Connection initialisation timeout"

    async def prompt() -> str:  # one that names it in time is served
        async with connect(base.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            await asyncio.sleep(TIMEOUT + 0.5)
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ serverStatus }"}}))
            return str(json.loads(await asyncio.wait_for(socket.recv(), 5))["type"])

    assert asyncio.run(prompt()) == "next"


async def _trickled_body(port: int, path: str, give_up: float) -> tuple[float, bytes, int]:
    """A request whose headers come at once and whose 100-byte body then comes one byte every 0.3 s:
    seconds until the server closed the connection, what it answered, and the bytes it let through.
    """
    opened = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH['Authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    writer.write(head.encode())
    answer, sent = b"", 0
    try:
        while time.monotonic() - opened < give_up:
            try:
                chunk = await asyncio.wait_for(reader.read(4096), 0.3)
            except TimeoutError:
                writer.write(b" ")
                sent += 1
                continue
            if chunk == b"":
                break
            answer += chunk
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - opened, answer, sent


def test_a_body_trickled_byte_by_byte_is_cut_off_with_408(serve: Callable[..., Popen[bytes]], tmp_path: Path) -> None:
    _, base, port = _start(serve, tmp_path, body_timeout=str(TIMEOUT), header_timeout="30")

    async def attack() -> list[tuple[float, bytes, int]]:
        paths = ["/services/start", "/graphql", "/profiles"] * 10
        return await asyncio.gather(*(_trickled_body(port, path, 15) for path in paths))

    for lasted, answer, _ in asyncio.run(attack()):
        assert lasted < TIMEOUT + SLACK, (lasted, answer[:300])
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:300]
        assert b"connection: close" in head.lower()
        assert json.loads(body)  # the documented error JSON (REST) or a GraphQL error (/graphql)
    with httpx.Client(base_url=base, headers=AUTH) as http:  # nothing was written, real clients are served
        started = http.post("/services/start", json={"service_type": 1, "contact_key": "after"})
        assert started.status_code == 201, started.text
        assert http.get("/server/status").status_code == 200
    assert "Traceback" not in (tmp_path / "server-0.log").read_text()
