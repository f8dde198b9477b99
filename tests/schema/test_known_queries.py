"""A query that ran once without errors is answered straight by graphql-core the next time
(schema/known_queries.py): the same bytes, headers and status as Strawberry's path; every
per-request check still made; every error still Strawberry's own.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.access.roles import SERVICE
from tests.conftest import snapshot
from tests.helpers import FEEDBACK, new_customer, new_schema, new_service, new_state
from tests.schema.test_fast_path import TREE, _tree
from tests.test_auth import _without, make_key
from tests.test_operations import _metric

METRIC = "contextgraph_graphql_known_queries_total"
SMALL = "query One($s: Long!) { service(id: $s) { id serviceType active startedAt started } }"


async def _counts(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {outcome: _metric(text, METRIC, outcome=outcome) for outcome in ("answered", "error")}


async def _grew(client: httpx.AsyncClient, before: dict[str, float]) -> dict[str, float]:
    after = await _counts(client)
    return {outcome: after[outcome] - before[outcome] for outcome in after}


async def _twice(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> list[httpx.Response]:
    """The same request through Strawberry's path, then as a known query."""
    before = await _counts(client)
    responses = [await client.post("/graphql", json=body, headers=headers) for _ in range(2)]
    assert await _grew(client, before) == {"answered": 1, "error": 0}
    return responses


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json", "*/*"])
async def test_a_known_query_answers_what_strawberry_answered(client: httpx.AsyncClient, accept: str) -> None:
    customer_id, service_id = await _tree(client)
    queries = [
        (TREE, {"id": customer_id, "withTasks": True}),
        # (another text: the same document with other variables would be known already)
        (TREE.replace("query Tree", "query Tree2"), {"id": customer_id, "withTasks": False, "skipOffers": True,
                                                     "types": ["1"]}),
        (SMALL, {"s": service_id}),
        ("query($s: Long!) { a: service(id: $s) { __typename id } b: service(id: $s) { ...on Service { x: id } } }",
         {"s": service_id}),
        ("{ serverStatus }", None),  # no variables at all
    ]  # fmt: skip
    for query, variables in queries:
        strawberry, known = await _twice(client, {"query": query, "variables": variables}, accept=accept)
        assert known.status_code == strawberry.status_code == 200
        assert known.headers["content-type"] == strawberry.headers["content-type"]
        if query != "{ serverStatus }":  # its system time moves
            assert known.content == strawberry.content
        assert "errors" not in known.json()
    assert len(known.json()["data"]["serverStatus"]) > 3


async def test_each_operation_of_a_document_is_known_by_its_name(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, contact_key="ck")
    document = "query A($s: Long!) { service(id: $s) { id } } query B($s: Long!) { service(id: $s) { contactKey } }"
    for name, expected in (("A", {"id": service_id}), ("B", {"contactKey": "ck"})):
        body = {"query": document, "variables": {"s": service_id}, "operationName": name}
        for response in await _twice(client, body):
            assert response.json() == {"data": {"service": expected}}


async def test_errors_of_a_known_query_are_strawberry_s(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    await _twice(client, {"query": SMALL, "variables": {"s": service_id}})
    cases = [
        ({"s": service_id + 1000}, 200, {"code": 4040, "status": 404}),  # a service that is not there
        ({"s": "ten"}, 400, {"code": 4020, "status": 400}),  # a variable of the wrong type: nothing ran
        ({}, 400, {"code": 4020, "status": 400}),  # a variable missing
    ]
    for variables, status, extensions in cases:
        before = await _counts(client)
        response = await client.post("/graphql", json={"query": SMALL, "variables": variables},
                                     headers={"accept": "application/graphql-response+json"})  # fmt: skip
        grew = await _grew(client, before)
        assert response.status_code == status, response.text
        error = response.json()["errors"][0]
        assert error.get("extensions") == extensions
        # graphql-core refused or failed it on the known path; Strawberry's path gave the answer.
        assert grew == {"answered": 0, "error": 1}


async def test_roles_and_cost_are_checked_on_every_request(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    await _twice(client, {"query": SMALL, "variables": {"s": service_id}})
    no_read = await make_key(app, _without(SERVICE + "readService"))
    refused = await client.post("/graphql", json={"query": SMALL, "variables": {"s": service_id}}, headers=no_read)
    assert refused.json()["errors"][0]["extensions"] == {"code": 4030, "status": 403}

    customer_id = await new_customer(client)
    state_id = await new_state(client, await new_service(client, customer_id=customer_id))
    assert state_id
    nested = "query($c: ID!, $n: Int) { customer(id: $c) { services(first: $n) { states(first: $n) { id } } } }"
    await _twice(client, {"query": nested, "variables": {"c": customer_id, "n": 5}})
    costly = await client.post("/graphql", json={"query": nested, "variables": {"c": customer_id, "n": 1000}})
    error = costly.json()["errors"][0]
    assert "its cost is" in error["message"]
    assert error["extensions"]["status"] == 400


async def test_a_role_that_depends_on_a_variable_is_checked_for_its_value(app: Starlette, client: httpx.AsyncClient) -> None:
    query = "query($k: ExtensionOwner!) { extensionSchemas(kind: $k) }"
    no_state_schemas = await make_key(app, _without("UCS.SchemaMgt.readStateExtensionSchema"))
    await _twice(client, {"query": query, "variables": {"k": "SERVICE"}}, **no_state_schemas)
    refused = await client.post("/graphql", json={"query": query, "variables": {"k": "STATE"}}, headers=no_state_schemas)
    assert refused.json()["errors"][0]["extensions"] == {"code": 4030, "status": 403}


async def test_mutations_are_never_known(app: Starlette, client: httpx.AsyncClient) -> None:
    mutation = 'mutation { startService(input: {serviceType: 1, contactKey: "m"}) { id } }'
    before = await _counts(client)
    ids = {(await client.post("/graphql", json={"query": mutation})).json()["data"]["startService"]["id"] for _ in range(3)}
    assert len(ids) == 3  # each one ran, through Strawberry's path
    assert await _grew(client, before) == {"answered": 0, "error": 0}


async def test_a_long_text_is_never_known(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    padded = SMALL + " " * 20_000  # a client could otherwise fill the memory with long texts
    before = await _counts(client)
    for _ in range(2):
        body = (await client.post("/graphql", json={"query": padded, "variables": {"s": service_id}})).json()
        assert body["data"]["service"]["id"] == service_id
    assert await _grew(client, before) == {"answered": 0, "error": 0}


async def test_a_rebuilt_schema_knows_no_query_yet(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    await _twice(client, {"query": SMALL, "variables": {"s": service_id}})
    await new_schema(client, "services", FEEDBACK)  # a new schema, with Service.extensions.Feedback
    # The first run on the new schema is Strawberry's again; then it is known there too.
    await _twice(client, {"query": SMALL, "variables": {"s": service_id}})


class TestOutOfTime:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_timeout": 30}

    async def test_a_known_query_is_stopped_in_time_too(self, app: Starlette, client: httpx.AsyncClient) -> None:
        customer_id = await new_customer(client)
        await new_service(client, customer_id=customer_id)
        # Its services are read in a transaction of their own: it waits on the database, and so it can
        # be stopped (a query that never waits finishes before any timer can fire).
        body = {"query": "query($c: ID!) { customer(id: $c) { services { id } } }", "variables": {"c": customer_id}}
        await _twice(client, body)
        app.state.runtime.settings.graphql_timeout = 0.000001
        before = await snapshot(app)
        assert (await client.post("/graphql", json=body)).json() == {
            "data": None,
            "errors": [{"message": "the query did not finish within 1e-06 s", "extensions": {"code": 5030, "status": 503}}],
        }
        assert await snapshot(app) == before


async def test_a_known_query_is_named_in_the_metrics(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    before = (await client.get("/metrics")).text
    await _twice(client, {"query": SMALL, "variables": {"s": service_id}})
    after = (await client.get("/metrics")).text
    labels = {"operation": "graphql query One", "status": "200"}
    assert _metric(after, "contextgraph_requests_total", **labels) - _metric(before, "contextgraph_requests_total",
                                                                             **labels) == 2  # fmt: skip
