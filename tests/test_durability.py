"""`kill -9` in the middle of a write load: after a restart every acknowledged write is there and
every refused one is not (SQLite: WAL with synchronous=FULL; PostgreSQL: its own commit)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import httpx

from tests.servers import AUTH, COMMAND, KEY, free_port, wait_ready


def _start(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")} | {
        "CONTEXTGRAPH_BOOTSTRAP_KEY": KEY,
        "CONTEXTGRAPH_RATE_LIMIT": "0",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--database", database_url],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    wait_ready(f"http://127.0.0.1:{port}", process)
    return process


async def test_acknowledged_writes_survive_kill_9(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _start(database_url, port, tmp_path / "server.log")
    acknowledged: list[tuple[int, str]] = []
    refused: list[str] = []
    stop = asyncio.Event()
    enough = asyncio.Event()

    async def writer(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10, headers=AUTH) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                key = f"w{n}-{i}"
                body = {"service_type": 1, "contact_key": key}
                if i % 3 == 0:
                    body["est_duration"] = -1  # refused: nothing of it may be stored
                try:
                    response = await http.post("/services/start", json=body)
                except httpx.TransportError:
                    return  # the server is gone: this write's fate is unknown, so it is not counted
                if response.status_code == 201:
                    acknowledged.append((response.json()["service_id"], key))
                    if len(acknowledged) >= 200:
                        enough.set()
                elif response.status_code == 400:
                    refused.append(key)

    writers = [asyncio.create_task(writer(n)) for n in range(8)]
    await asyncio.wait_for(enough.wait(), 60)
    process.send_signal(signal.SIGKILL)  # no shutdown, no flush: what was committed must be on disk
    process.wait(10)
    stop.set()
    await asyncio.gather(*writers)

    restarted = _start(database_url, port, tmp_path / "server.log")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10, headers=AUTH) as http:
            for service_id, key in acknowledged:
                response = await http.get(f"/services/{service_id}")
                assert response.status_code == 200, (service_id, key)
                assert response.json()["contact_key"] == key
            for key in refused[:100]:
                assert (await http.get(f"/services/anonymous/{key}")).json() == []
    finally:
        restarted.terminate()
        restarted.wait(10)
    assert len(acknowledged) >= 200
    assert refused
