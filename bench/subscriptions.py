"""Benchmark: how long after a write is acknowledged its journey event reaches a subscriber.

A subscriber holds a graphql-transport-ws subscription on one server process; a writer starts
states of the subscribed service through another process (PostgreSQL: LISTEN/NOTIFY between them)
or the same one (SQLite). Both are timed from the moment the writer sends its request: until the
201 arrives (the write), and until the subscriber's `next` message arrives (the event). An event
that arrives before the 201 is delivered "within 0 ms of the write".

    python bench/subscriptions.py [--events 200] [--out bench/results/subscriptions.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.import_profiles import fresh_postgres
from tests.servers import AUTH, COMMAND, KEY, free_port

QUERY = "subscription($s: Long) { journey(serviceId: $s) { action stateId } }"


def start(database: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")} | {
        "CONTEXTGRAPH_BOOTSTRAP_KEY": KEY,
        "CONTEXTGRAPH_RATE_LIMIT": "0",
    }  # measure the server, not its limit
    with log.open("wb") as out:
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--database", database, "--log-level", "warning"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/server/status")
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


async def measure(reader: str, writer: str, events: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=writer, headers=AUTH) as http:
        service_id = (await http.post("/services/start", json={"service_type": 1, "contact_key": "b"})).json()[
            "service_id"
        ]
        socket = await connect(reader.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
        await socket.recv()
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"s": service_id}}})
        )
        await asyncio.sleep(0.2)
        writes, latencies = [], []
        for _ in range(events):
            sent = time.perf_counter()
            write = asyncio.create_task(http.post(f"/services/{service_id}/states/start", json={"state_type": 1}))
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            latencies.append((time.perf_counter() - sent) * 1000)
            response = await write
            writes.append((time.perf_counter() - sent) * 1000)
            assert message["payload"]["data"]["journey"]["stateId"] == response.json()["state_id"]
        await socket.close()
        return writes, latencies


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max_ms": round(ordered[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--out", default="bench/results/subscriptions.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        setups = [("sqlite, one process", f"sqlite:///{tmp}/live.db", 1)]
        if os.environ.get("CONTEXTGRAPH_TEST_POSTGRES"):
            setups.append(
                ("postgresql, two processes", asyncio.run(fresh_postgres(os.environ["CONTEXTGRAPH_TEST_POSTGRES"])), 2)
            )
        for name, database, count in setups:
            processes = [start(database, Path(tmp) / f"{name[:6]}-{n}.log") for n in range(count)]
            try:
                writes, latencies = asyncio.run(measure(processes[0][1], processes[-1][1], args.events))
            finally:
                for process, _ in processes:
                    process.terminate()
                    process.wait(10)
            result = {"setup": name, "events": len(latencies), "write": _summary(writes), "event": _summary(latencies)}
            results.append(result)
            print(
                f"{name:<27} {len(latencies)} events   write p50 {result['write']['p50_ms']:6.2f} ms  "
                f"p95 {result['write']['p95_ms']:6.2f} ms   event p50 {result['event']['p50_ms']:6.2f} ms  "
                f"p95 {result['event']['p95_ms']:6.2f} ms  max {result['event']['max_ms']:6.2f} ms",
                flush=True,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"subscriptions": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
