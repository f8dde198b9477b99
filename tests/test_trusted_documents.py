"""Trusted documents: registered ahead of time (the CLI or the admin mutations, stored in the
database), the only documents that run in trusted-documents mode — an unregistered one is refused
before it is parsed and writes nothing — in every worker; and a metadata change that breaks one is
logged and counted on /metrics.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from contextgraph.resolvers.access.keys import create_key
from contextgraph.resolvers.store.tables import trusted_document_t
from tests.conftest import snapshot
from tests.helpers import FEEDBACK, new_customer, new_schema, new_service
from tests.servers import AUTH, COMMAND, free_port, wait_ready
from tests.test_operations import _metric

START = "mutation Start($c: ID) { startService(input: {serviceType: 7, customerId: $c}) { id: serviceId } }"
ADD = "mutation Add($d: [String!]!) { addTrustedDocuments(documents: $d) { hash name } }"
FEEDBACK_QUERY = "query Feedback($s: ID!) { service(id: $s) { extensions { Feedback { rating } } } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def documents_cli(*args: str, database: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    command = [COMMAND, "documents", *args, "--database", database]
    return subprocess.run(command, capture_output=True, text=True, env=clean, cwd=cwd, timeout=60)


def refused(answer: httpx.Response) -> bool:
    errors = answer.json().get("errors") or []
    return any("trusted documents only" in error["message"] for error in errors)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    trusted = "untrusted" not in request.node.name
    return {"graphql_trusted_documents": trusted, "refresh_interval": 0.1}


async def test_an_unregistered_document_is_refused_before_it_runs_and_writes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    customer = await new_customer(client)
    before = await snapshot(app)
    variables = {"c": customer}
    posted = await client.post("/graphql", json={"query": START, "variables": variables})
    assert refused(posted), posted.json()
    [error] = posted.json()["errors"]
    assert error["extensions"]["code"] == 4030
    assert sha(START) in error["message"]
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha(START)}}
    by_hash = await client.post("/graphql", json={"variables": variables, "extensions": persisted})
    assert refused(by_hash)  # not PersistedQueryNotFound: sending the text would not help
    by_get = await client.get("/graphql", params={"query": "{ serverStatus { version } }"})
    assert refused(by_get)
    registering = await client.post("/graphql", json={"query": ADD, "variables": {"d": [START]}})
    assert refused(registering)  # the admin mutation is a document too: register it with the CLI
    assert await snapshot(app) == before
    schema = app.router.routes[0].endpoint.schema  # type: ignore[attr-defined]
    assert schema.documents.known(sha(START)) is None  # never even parsed


async def test_documents_registered_with_the_cli_run_in_every_form(
    client: httpx.AsyncClient, app: Starlette, database_url: str, tmp_path: Path
) -> None:
    customer = await new_customer(client)
    (tmp_path / "start.graphql").write_text(START)
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha(ADD), "name": "Add", "type": "mutation", "body": ADD}],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    added = documents_cli("add", "start.graphql", "manifest.json", database=database_url, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert '"name": "Start"' in added.stdout
    assert sha(ADD) in added.stdout

    variables = {"c": customer}
    deadline = time.monotonic() + 5
    while refused(answer := await client.post("/graphql", json={"query": START, "variables": variables})):
        assert time.monotonic() < deadline, "the running server never learnt the registered document"
        await asyncio.sleep(0.1)
    assert answer.json()["data"]["startService"]["id"]
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": sha(START)}}
    by_hash = await client.post("/graphql", json={"variables": variables, "extensions": persisted})
    assert by_hash.json()["data"]["startService"]["id"]  # a hash alone: the text comes from the database

    # the admin mutation, registered, registers more; a document differing by one space is another
    spaced = START.replace("{ id: serviceId }", "{ id: serviceId  }")
    assert refused(await client.post("/graphql", json={"query": spaced, "variables": variables}))
    more = await client.post("/graphql", json={"query": ADD, "variables": {"d": [spaced]}})
    assert more.json() == {"data": {"addTrustedDocuments": [{"hash": sha(spaced), "name": "Start"}]}}
    assert "errors" not in (await client.post("/graphql", json={"query": spaced, "variables": variables})).json()

    listed = documents_cli("list", database=database_url, cwd=tmp_path)
    assert [sha(START), sha(ADD), sha(spaced)] == [
        line.split('"')[3] for line in listed.stdout.splitlines() if '"hash"' in line
    ]
    assert documents_cli("remove", sha(START), database=database_url, cwd=tmp_path).returncode == 0
    deadline = time.monotonic() + 5
    while not refused(await client.post("/graphql", json={"query": START, "variables": variables})):
        assert time.monotonic() < deadline, "a removed document still runs"
        await asyncio.sleep(0.1)
    gone = documents_cli("remove", sha(START), database=database_url, cwd=tmp_path)
    assert gone.returncode == 2
    assert "not found" in gone.stderr
    broken = tmp_path / "broken.graphql"
    broken.write_text("query { service(id: 1) { id }")
    bad = documents_cli("add", str(broken), "start.graphql", database=database_url, cwd=tmp_path)
    assert bad.returncode == 2
    assert "Syntax Error" in bad.stderr
    assert sha(START) not in documents_cli("list", database=database_url, cwd=tmp_path).stdout  # all or none


async def test_untrusted_mode_admin_operations_need_the_metadata_role_and_refuse_bad_documents(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    runtime = app.state.runtime
    async with runtime.db.write() as conn:
        _, secret = await create_key(conn, name="desk", roles=["UCS.Service.readService"])
    await runtime.refresh()
    desk = {"Authorization": f"Bearer {secret}"}
    forbidden = await client.post("/graphql", json={"query": ADD, "variables": {"d": [START]}}, headers=desk)
    assert forbidden.json()["errors"][0]["extensions"]["code"] == 4030
    listing = await client.post("/graphql", json={"query": "{ trustedDocuments { hash } }"}, headers=desk)
    assert listing.json()["errors"][0]["extensions"]["code"] == 4030

    async def rows() -> int:
        async with runtime.db.read() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(trusted_document_t)))

    for bad in (["{ nope"], ["fragment F on Query { __typename }"], [""], [START, "x" * 100_001]):
        answer = await client.post("/graphql", json={"query": ADD, "variables": {"d": bad}})
        assert answer.json()["errors"][0]["extensions"]["code"] == 4020, (bad[-1][:20], answer.json())
        assert await rows() == 0  # all or none
    added = await client.post("/graphql", json={"query": ADD, "variables": {"d": [START, START]}})
    assert added.json()["data"]["addTrustedDocuments"] == [{"hash": sha(START), "name": "Start"}]
    listed = await client.post("/graphql", json={"query": "{ trustedDocuments { hash name document created } }"})
    [document] = listed.json()["data"]["trustedDocuments"]
    assert document["document"] == START
    assert document["created"].endswith("Z")
    remove = "mutation($h: String!) { removeTrustedDocument(hash: $h) { hash } }"
    for hash, code in (("nothex", 4020), ("0" * 64, 4040), (sha(START).upper(), None)):
        answer = await client.post("/graphql", json={"query": remove, "variables": {"h": hash}})
        assert (answer.json().get("errors") or [{"extensions": {"code": None}}])[0]["extensions"]["code"] == code
    assert await rows() == 0


async def test_untrusted_mode_a_metadata_change_that_breaks_a_trusted_document_is_reported(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await new_schema(client, "services", FEEDBACK)
    service = await new_service(client)
    added = await client.post("/graphql", json={"query": ADD, "variables": {"d": [FEEDBACK_QUERY]}})
    assert "errors" not in added.json()
    metric = "contextgraph_graphql_trusted_documents_invalid"
    assert _metric((await client.get("/metrics")).text, metric) == 0
    with caplog.at_level(logging.WARNING, logger="contextgraph"):
        assert (await client.delete("/metadata/services/extensions/Feedback")).status_code == 204
    assert f"trusted document {sha(FEEDBACK_QUERY)} no longer validates" in caplog.text
    assert _metric((await client.get("/metrics")).text, metric) == 1
    await new_schema(client, "services", FEEDBACK)  # the schema back: the document validates again
    assert _metric((await client.get("/metrics")).text, metric) == 0
    answer = await client.post("/graphql", json={"query": FEEDBACK_QUERY, "variables": {"s": service}})
    assert "errors" not in answer.json()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_in_trusted_mode(serve, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {"CONTEXTGRAPH_GRAPHQL_TRUSTED_DOCUMENTS": "true", "CONTEXTGRAPH_REFRESH_INTERVAL": "0.2"}
    process = serve("--port", str(port), "--database", database_url, "--workers", "2", env=env)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)

    async def fresh(body: dict[str, Any]) -> tuple[int, httpx.Response]:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:  # a new connection: any worker
            status = (await http.get("/server/status")).json()["process_id"]
            return status, await http.post("/graphql", json=body)

    async def services() -> int:
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:
            return len((await http.get("/services/anonymous/trusted")).json())

    async def on_both_workers(body: dict[str, Any], check: Any) -> int:
        seen: set[int] = set()
        sent = 0
        for _ in range(60):
            for pid, answer in await asyncio.gather(*(fresh(body) for _ in range(4))):
                assert check(answer), answer.json()
                seen.add(pid)
                sent += 1
            if len(seen) == 2:
                return sent
        raise AssertionError("requests did not reach both workers")

    anonymous = 'mutation Anonymous { startService(input: {serviceType: 7, contactKey: "trusted"}) { id: serviceId } }'
    body = {"query": anonymous, "variables": {}}
    await on_both_workers(body, refused)
    assert await services() == 0  # nothing ran anywhere
    socket = await connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    try:  # the websocket goes through the same front door
        await socket.send(json.dumps({"type": "connection_init", "payload": AUTH}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        subscription = "subscription { journey(serviceId: 1) { action } }"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": subscription}}))
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["type"] == "error"
        assert "trusted documents only" in message["payload"][0]["message"]
    finally:
        await socket.close()
    (tmp_path / "start.graphql").write_text(body["query"])
    assert documents_cli("add", "start.graphql", database=database_url, cwd=tmp_path).returncode == 0
    await asyncio.sleep(1)  # five refresh intervals
    ran = await on_both_workers(body, lambda answer: answer.json().get("errors") is None)
    assert await services() == ran
