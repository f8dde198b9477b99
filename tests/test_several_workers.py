"""`contextgraph serve --workers 2` on PostgreSQL: requests spread over the workers, ids stay
unique, and schema changes and subscription events reach every worker.
"""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.helpers import FEEDBACK
from tests.servers import AUTH, free_port, wait_ready


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_share_one_database(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", database_url, "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)

    async def fresh(method: str, path: str, **kwargs: object) -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=url, headers=AUTH
        ) as http:  # a new connection: the kernel picks the worker
            return await http.request(method, path, **kwargs)  # type: ignore[arg-type]

    pids: set[int] = set()
    for _ in range(60):
        pids |= {
            r.json()["process_id"] for r in await asyncio.gather(*(fresh("GET", "/server/status") for _ in range(4)))
        }
        if len(pids) == 2:
            break
    assert len(pids) == 2, "requests did not spread over the two workers"
    assert os.getpid() not in pids

    started = await asyncio.gather(
        *(fresh("POST", "/services/start", json={"service_type": 1, "contact_key": "w"}) for _ in range(40))
    )
    ids = [r.json()["service_id"] for r in started]
    assert len(set(ids)) == 40

    socket = await connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=AUTH,
    )  # the key on the upgrade request
    try:
        await socket.send(json.dumps({"type": "connection_init"}))
        await socket.recv()
        query = "subscription($s: Long) { journey(serviceId: $s) { stateId } }"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"s": ids[0]}}})
        )
        await asyncio.sleep(0.5)
        states = [
            (await fresh("POST", f"/services/{ids[0]}/states/start", json={"state_type": n})).json()["state_id"]
            for n in range(10)
        ]
        received = [
            json.loads(await asyncio.wait_for(socket.recv(), 5))["payload"]["data"]["journey"]["stateId"]
            for _ in states
        ]
        assert received == states  # whichever worker took each write
    finally:
        await socket.close()

    assert (await fresh("POST", "/metadata/services/extensions", json=FEEDBACK)).status_code == 201
    await asyncio.sleep(1)
    probe = {
        "query": "query($i: ID!) { service(id: $i) { extensions { Feedback { rating } } } }",
        "variables": {"i": ids[0]},
    }
    answers = await asyncio.gather(*(fresh("POST", "/graphql", json=probe) for _ in range(20)))
    assert all("errors" not in a.json() for a in answers), [a.json() for a in answers if "errors" in a.json()]

    # The typed inputs follow in every worker too: a value of the wrong type is refused by validation
    # wherever it lands, a right one is written.
    start = 'mutation($x: ServiceExtensionsInput) { startService(input: {contactKey: "w", serviceType: 1, extensions: $x}) { id } }'
    wrong = {"query": start, "variables": {"x": {"Feedback": {"FeedbackType": "t", "rating": "high"}}}}
    right = {"query": start, "variables": {"x": {"Feedback": {"FeedbackType": "t", "rating": 5}}}}
    refused = await asyncio.gather(*(fresh("POST", "/graphql", json=wrong) for _ in range(10)))
    assert all("Int cannot represent" in r.text and r.json()["data"] is None for r in refused), [
        r.text for r in refused
    ]
    written = await asyncio.gather(*(fresh("POST", "/graphql", json=right) for _ in range(10)))
    assert all(r.json()["data"]["startService"]["id"] for r in written), [r.text for r in written]
    assert (await fresh("DELETE", "/metadata/services/extensions/Feedback")).status_code == 204
    await asyncio.sleep(1)
    gone = await asyncio.gather(*(fresh("POST", "/graphql", json=right) for _ in range(10)))
    assert all("ServiceExtensionsInput" in r.text and r.json()["data"] is None for r in gone), [r.text for r in gone]
