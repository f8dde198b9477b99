"""The loads of the soak, each a loop that runs until `stop` is set and counts what happened in a Tally.

Hostile: distinct GraphQL queries (valid ones and 16 KiB ones that validation refuses), abandoned
subscriptions (subscribed, then the TCP connection dropped without a close frame), slowloris
connections (headers trickled, never finished) and wrong-key guesses. Normal: REST writes and
reads and a GraphQL tree, steadily. The readiness probe is timed throughout.

Clients come from different loopback addresses (Linux routes all of 127.0.0.0/8 locally), so the
server can tell the guesser (127.0.0.2) and the slowloris (127.0.0.3) from everyone else (127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.servers import AUTH

GUESSER, SLOWLORIS = "127.0.0.2", "127.0.0.3"
SUBSCRIPTION = "subscription($s: Long) { journey(serviceId: $s) { action stateId } }"
TREE = """query Tree($id: ID!) { customer(id: $id) { id: customerId attributes services { id: serviceId serviceType active startedAt
  states { id: stateId stateType active tasks { id: taskId taskType } } } } }"""


@dataclass
class Tally:
    """What the loads saw; `statuses` counts every HTTP answer by status."""

    statuses: Counter[int] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # transport errors and 5xx, the first few described
    probe_ms: list[float] = field(default_factory=list)
    slowloris_closed: list[float] = field(default_factory=list)  # how long each lasted until the server closed it
    slowloris_open: list[float] = field(default_factory=list)  # the age of each still open at the end

    def answer(self, what: str, response: httpx.Response) -> httpx.Response:
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.fail(f"{what}: {response.status_code} {response.text[:200]}")
        return response

    def fail(self, description: str) -> None:
        self.events["failures"] += 1
        if len(self.failures) < 20:
            self.failures.append(description)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def rss_mb(pid: int) -> float:
    """The resident set of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used (user and system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


async def seed(base: str) -> dict[str, Any]:
    """A customer with a service, a state and a task: what subscriptions and normal reads name."""
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=10) as http:
        customer = (await http.post("/profiles", json={"FirstName": "Soak", "LastName": "Test"})).json()["customer_id"]
        service = (await http.post("/services/start", json={"service_type": 1, "customer_id": customer})).json()
        await http.post(f"/services/{service['service_id']}/states/start", json={"state_type": 2})
        return {"customer_id": customer, "service_id": service["service_id"]}


async def repeat(
    stop: asyncio.Event, period: float, tally: Tally, what: str, action: Callable[[int], Awaitable[None]]
) -> None:
    """`action(n)` every `period` seconds (or as fast as it goes), until `stop`; errors are counted."""
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await action(n)
        except (httpx.TransportError, OSError, TimeoutError) as error:
            tally.fail(f"{what}: {type(error).__name__} {error}")
        n += 1
        await _pause(stop, period - (time.monotonic() - started))


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


def refused_query(n: int, size: int = 16_000) -> str:
    """A distinct query of about `size` characters whose every field is unknown: validation refuses it."""
    fields: list[str] = []
    length = 20
    while length < size:
        fields.append(f"u{n}_{len(fields)}")
        length += len(fields[-1]) + 1
    return f"query Refused{n} {{ " + " ".join(fields) + " }"


_SERVICE = "id serviceType customerId contactKey active startedAt completedAt started completed duration estDuration"


def large_query(n: int, service_id: int) -> str:
    """A distinct valid query of about 10 KiB: one service under 30 aliases, every field twice."""
    roots = " ".join(f"s{i}_{n}: service(id: {service_id}) {{ {_SERVICE} {_SERVICE} }}" for i in range(30))
    return f"query Large{n} {{ {roots} }}"


async def distinct_query(http: httpx.AsyncClient, tally: Tally, seeded: dict[str, Any], n: int) -> None:
    """Query number `n`, a text of its own: a small valid one, a large valid one (both run, then
    remembered as known queries) or a large one that validation refuses, in turn.
    """
    if n % 3 == 2:
        body = tally.answer("refused query", await http.post("/graphql", json={"query": refused_query(n)})).json()
        tally.events["refused queries" if body.get("errors") else "refused queries answered"] += 1
        return
    query = (
        large_query(n, seeded["service_id"])
        if n % 3
        else (f"query Soak{n} {{ service(id: {seeded['service_id']}) {{ id a{n}: active serviceType }} }}")
    )
    body = tally.answer("valid query", await http.post("/graphql", json={"query": query})).json()
    if "errors" in body:
        tally.fail(f"valid query: {body['errors'][:1]}")
    tally.events["valid queries"] += 1


async def distinct_queries(
    base: str, stop: asyncio.Event, tally: Tally, seeded: dict[str, Any], period: float, first: int = 0
) -> None:
    """`distinct_query` numbers `first`, `first` + 1, … every `period` seconds."""
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as http:
        await repeat(stop, period, tally, "distinct queries", lambda n: distinct_query(http, tally, seeded, first + n))


async def abandoned_subscriptions(
    base: str, stop: asyncio.Event, tally: Tally, seeded: dict[str, Any], period: float
) -> None:
    """graphql-transport-ws sockets opened, subscribed, then dropped without a close frame."""
    url = base.replace("http", "ws") + "/graphql"

    async def one(n: int) -> None:
        socket = await connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10)  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
        if json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] != "connection_ack":
            tally.fail("subscription: no connection_ack")
        await socket.send(
            json.dumps(
                {
                    "id": str(n),
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"s": seeded["service_id"]}},
                }
            )
        )
        await asyncio.sleep(0.05)  # long enough for the server to start the subscription
        socket.transport.abort()  # the client vanishes: no close frame, a reset connection
        tally.events["abandoned subscriptions"] += 1

    await repeat(stop, period, tally, "abandoned subscriptions", one)


async def slowloris(host: str, port: int, stop: asyncio.Event, tally: Tally, connections: int, trickle: float) -> None:
    """`connections` at a time, each sending a request's headers one line every `trickle` seconds,
    never finishing them; each is replaced once the server closes it.
    """

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, port, local_addr=(SLOWLORIS, 0))
        opened = time.monotonic()
        tally.events["slowloris opened"] += 1
        closed = tally.slowloris_open
        try:
            writer.write(b"GET /server/status HTTP/1.1\r\nHost: soak\r\n")
            while not stop.is_set():
                try:
                    if await asyncio.wait_for(reader.read(1024), trickle) == b"":
                        closed = tally.slowloris_closed
                        break
                except TimeoutError:
                    writer.write(b"X-Trickle: 1\r\n")
        except (ConnectionError, OSError):  # closed by the server while we wrote
            closed = tally.slowloris_closed
        finally:
            writer.close()
        closed.append(time.monotonic() - opened)

    async def keep_one() -> None:
        while not stop.is_set():
            try:
                await one()
            except OSError as error:
                tally.fail(f"slowloris: could not connect: {error}")
                await _pause(stop, 1)

    await asyncio.gather(*(keep_one() for _ in range(connections)))


async def wrong_keys(base: str, stop: asyncio.Event, tally: Tally, period: float) -> None:
    """Guessed keys from one address: 401 until the server throttles the address, then 429."""
    transport = httpx.AsyncHTTPTransport(local_address=GUESSER)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=10) as http:

        async def one(n: int) -> None:
            response = await http.get("/services/1", headers={"Authorization": f"Bearer guess-{n:012d}"})
            tally.answer("wrong key", response)
            tally.events[f"wrong keys answered {response.status_code}"] += 1

        await repeat(stop, period, tally, "wrong keys", one)


async def normal_traffic(base: str, stop: asyncio.Event, tally: Tally, seeded: dict[str, Any], period: float) -> None:
    """What an agent desktop and a CTI client do: start services and states, read them, read the tree."""
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as http:

        async def one(n: int) -> None:
            body = {
                "service_type": n % 7,
                "customer_id": seeded["customer_id"] if n % 10 == 0 else None,
                "contact_key": f"soak-{n}",
            }
            started = tally.answer("start service", await http.post("/services/start", json=body))
            if started.status_code != 201:
                tally.fail(f"start service: {started.status_code} {started.text[:200]}")
                return
            service_id = started.json()["service_id"]
            tally.answer("start state", await http.post(f"/services/{service_id}/states/start", json={"state_type": 3}))
            tally.answer("read service", await http.get(f"/services/{service_id}?active_states=true"))
            tree = {"query": TREE, "variables": {"id": seeded["customer_id"]}}
            answer = tally.answer("tree", await http.post("/graphql", json=tree)).json()
            if answer.get("errors"):
                tally.fail(f"tree: {answer['errors'][:1]}")
            tally.events["normal rounds"] += 1

        await repeat(stop, period, tally, "normal traffic", one)


def probe_for(base: str, seconds: float, period: float) -> list[tuple[int, float]]:
    """`GET /server/status` without a key, as a load balancer probes it, every `period` seconds
    for `seconds`: each answer's status and milliseconds. Run it in a process of its own, so the
    loads' own work on this side never delays a probe.
    """
    answers = []
    with httpx.Client(base_url=base, timeout=10) as http:
        deadline = time.monotonic() + seconds
        while (started := time.monotonic()) < deadline:
            try:
                status = http.get("/server/status").status_code
            except httpx.TransportError:
                status = 0
            answers.append((status, (time.monotonic() - started) * 1000))
            time.sleep(max(0.0, period - (time.monotonic() - started)))
    return answers


async def status_probe(base: str, seconds: float, tally: Tally, period: float) -> None:
    """`probe_for` in another process; its answers counted in `tally`."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        answers = await asyncio.get_running_loop().run_in_executor(pool, probe_for, base, seconds, period)
    for status, milliseconds in answers:
        tally.statuses[status] += 1
        tally.probe_ms.append(milliseconds)
        if status != 200:
            tally.fail(f"status probe: {status or 'no answer'}")


async def watched(
    pid: int, seconds: float, stop: asyncio.Event, loads: Sequence[Awaitable[None]]
) -> list[tuple[float, float]]:
    """Run `loads` for `seconds`, then set `stop` and wait for them; the process's RSS once a
    second meanwhile, as (seconds since the start, MB).
    """
    tasks = [asyncio.ensure_future(load) for load in loads]
    started = time.monotonic()
    samples = [(0.0, rss_mb(pid))]
    while (elapsed := time.monotonic() - started) < seconds:
        await asyncio.sleep(min(1.0, seconds - elapsed))
        samples.append((time.monotonic() - started, rss_mb(pid)))
    stop.set()
    await asyncio.gather(*tasks)
    return samples


def rss_at(samples: list[tuple[float, float]], moment: float) -> float:
    """The RSS sampled last at or before `moment` seconds."""
    return [rss for when, rss in samples if when <= moment][-1]
