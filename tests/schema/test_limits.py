"""GraphQL hardening with hostile queries through the real endpoint: depth (introspection included),
alias floods, token floods, cost, list caps and pages, the time limit, batching, suggestions and
introspection switched off. Each refusal is an error before anything runs, and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import new_customer, new_service, new_state


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def _refused(body: dict[str, Any], fragment: str) -> None:
    assert body.get("data") is None, body
    error = body["errors"][0]
    assert fragment in error["message"], error
    assert error["extensions"]["status"] == 400, error


def _nested(pairs: int) -> str:
    """service, then customer and services `pairs` times, then id: 2 * pairs + 2 levels of fields."""
    return "{ service(id: 1) " + "{ customer { services(first: 1) " * pairs + "{ id }" + " } }" * pairs + " }"


async def test_deep_nesting_is_refused(client: httpx.AsyncClient) -> None:
    allowed = await _post(client, _nested(6))  # depth 14: it runs (and finds no service 1)
    assert allowed["errors"][0]["extensions"]["status"] == 404
    _refused(await _post(client, _nested(7)), "its depth is 16; the server allows at most 15")


async def test_deep_introspection_is_refused_but_graphiql_s_own_is_not(client: httpx.AsyncClient) -> None:
    standard = await _post(client, get_introspection_query(descriptions=True))
    assert "errors" not in standard
    assert standard["data"]["__schema"]["queryType"]["name"] == "Query"
    cycles = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    refused = await _post(client, cycles)  # graphql-core's own rule against introspection cycles
    assert refused.get("data") is None
    assert refused["errors"][0]["message"] == "Maximum introspection depth exceeded"
    chain = '{ __type(name: "Query") { fields { type ' + "{ ofType " * 13 + "{ name }" + " }" * 13 + " } } }"
    _refused(await _post(client, chain), "its depth is 17")


async def test_an_alias_flood_is_refused(client: httpx.AsyncClient) -> None:
    flood = "{ " + " ".join(f"a{i}: serverStatus" for i in range(31)) + " }"
    _refused(await _post(client, flood), "number of aliases is 31")
    fine = "{ " + " ".join(f"a{i}: serverStatus" for i in range(30)) + " }"
    assert "errors" not in await _post(client, fine)


async def test_a_token_flood_is_refused_before_parsing_finishes(client: httpx.AsyncClient) -> None:
    flood = "{ " + "__typename " * 6000 + "}"
    body = await _post(client, flood)
    assert body.get("data") is None
    assert "tokens" in body["errors"][0]["message"]


async def test_cost_counts_list_sizes(client: httpx.AsyncClient) -> None:
    huge = '{ anonymousServices(contactKey: "k", first: 1000) { states(first: 1000) { tasks(first: 1000) { id: taskId } } } }'
    _refused(await _post(client, huge), "its cost is 1001001001")
    fine = '{ anonymousServices(contactKey: "k", first: 10) { states(first: 10) { tasks(first: 10) { id: taskId } } } }'
    assert await _post(client, fine) == {"data": {"anonymousServices": []}}


async def test_lists_take_pages_and_refuse_more_than_the_cap(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    service_ids = [await new_service(client, customer_id=customer) for _ in range(5)]
    for service_id in service_ids[:2]:
        for _ in range(3):
            await new_state(client, service_id)
    query = "query($c: ID!, $f: Int, $o: Int!) { customer(id: $c) { services(first: $f, offset: $o) { id: serviceId states(first: 2) { id: stateId } } } }"
    body = await _post(client, query, c=customer, f=2, o=1)
    services = body["data"]["customer"]["services"]
    assert [s["id"] for s in services] == service_ids[1:3]
    assert [len(s["states"]) for s in services] == [2, 0]
    everything = await _post(client, query, c=customer, f=None, o=0)
    assert [s["id"] for s in everything["data"]["customer"]["services"]] == service_ids
    too_many = await _post(client, query, c=customer, f=1001, o=0)
    assert too_many["data"] is None
    assert "between 1 and 1000" in too_many["errors"][0]["message"]
    assert too_many["errors"][0]["extensions"]["status"] == 400


class TestSmallCap:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_list": 3, "graphql_timeout": 0.000001}

    async def test_a_list_without_first_stops_at_the_cap(self, app: Starlette, client: httpx.AsyncClient) -> None:
        app.state.runtime.settings.graphql_timeout = 30  # only the next test runs out of time
        customer = await new_customer(client)
        for _ in range(5):
            await new_service(client, customer_id=customer)
        body = await _post(client, "query($c: ID!) { customer(id: $c) { services { id: serviceId } } }", c=customer)
        assert len(body["data"]["customer"]["services"]) == 3

    async def test_a_query_out_of_time_is_stopped_and_writes_nothing(
        self, app: Starlette, client: httpx.AsyncClient
    ) -> None:
        before = await snapshot(app)
        body = await _post(
            client, 'mutation { startService(input: {serviceType: 1, contactKey: "late"}) { id: serviceId } }'
        )
        assert body["data"] is None
        assert body["errors"][0]["message"] == "the query did not finish within 1e-06 s"
        assert body["errors"][0]["extensions"] == {"code": 5030, "status": 503}
        assert await snapshot(app) == before


async def test_batches_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": "{ serverStatus }"}, {"query": "{ serverStatus }"}])
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


async def test_no_field_suggestions(client: httpx.AsyncClient) -> None:
    body = await _post(client, '{ custmer(id: "1") { id } }')
    message = body["errors"][0]["message"]
    assert message == "Cannot query field 'custmer' on type 'Query'."
    assert "customer" not in message


class TestProduction:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_introspection": False, "graphql_suggestions": True}

    async def test_introspection_can_be_switched_off(self, client: httpx.AsyncClient) -> None:
        body = await _post(client, "{ __schema { queryType { name } } }")
        assert body.get("data") is None
        assert "introspection" in body["errors"][0]["message"].lower()
        assert await _post(client, "{ __typename }") == {"data": {"__typename": "Query"}}

    async def test_suggestions_when_asked_for(self, client: httpx.AsyncClient) -> None:
        body = await _post(client, '{ custmer(id: "1") { id } }')
        assert "Did you mean 'customer'?" in body["errors"][0]["message"]


async def test_a_page_out_of_range_is_refused_before_anything_runs(app: Starlette, client: httpx.AsyncClient) -> None:
    """A negative `first` would lower the cost: the issue's query ran 32 s and took 3 GB. Every list's
    page is checked with the other limits, before a single statement runs."""
    from contextgraph.resolvers.store.database import StatementCounter

    service_id = await new_service(client)
    await new_state(client, service_id)
    attack = (
        "query($s: ID!) { service(id: $s) { states { id service { states { id service { states { id service {"
        " states { id service { id x: states(first: -2147483648) { id } } } } } } } } } } }"
    )
    counter = StatementCounter(app.state.runtime.db)
    try:
        for query, fragment in [
            (attack, "first"),
            ("{ service(id: 424242) { states(first: 0) { id: stateId } } }", "first"),
            ("{ service(id: 424242) { tasks(offset: -1) { id: taskId } } }", "offset"),
            ('{ anonymousServices(contactKey: "k", first: 1001) { id: serviceId } }', "first"),
            ('{ identify(attributes: {LastName: "x"}, first: -3) { id: customerId } }', "first"),
        ]:
            body = await _post(client, query, s=service_id) if "$s" in query else await _post(client, query)
            _refused(body, fragment)
            assert "between 1 and 1000" in body["errors"][0]["message"] or "negative" in body["errors"][0]["message"]
        assert counter.count == 0
    finally:
        counter.close()


class TestObjectBudget:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"graphql_max_objects": 8}

    async def test_an_answer_holds_at_most_so_many_objects(self, client: httpx.AsyncClient) -> None:
        customer = await new_customer(client)
        for _ in range(3):
            service_id = await new_service(client, customer_id=customer)
            await new_state(client, service_id)
            await new_state(client, service_id)
        query = "query($c: ID!) { customer(id: $c) { services { id: serviceId states { id: stateId } } } }"
        body = await _post(client, query, c=customer)
        assert "more than 8 objects" in body["errors"][0]["message"], body
        assert body["errors"][0]["extensions"]["status"] == 400
        small = await _post(
            client,
            "query($c: ID!) { customer(id: $c) { services(first: 2) { id: serviceId states { id: stateId } } } }",
            c=customer,
        )
        assert "errors" not in small
        assert [len(s["states"]) for s in small["data"]["customer"]["services"]] == [2, 2]


async def test_a_large_refused_document_is_answered_without_holding_the_loop(client: httpx.AsyncClient) -> None:
    """A 16 KiB document of unknown fields: its validation errors keep their locations, and shaping
    them for the answer does not scan the text again per error (that held the event loop ~50 ms a
    document, the readiness probe's p99 in `make soak` went over 100 ms)."""
    import time

    from graphql import build_schema, parse, validate

    from contextgraph.schema.errors import shaped
    from tests.soak.load import refused_query

    query = refused_query(1)
    body = await _post(client, query)
    assert body.get("data") is None, body
    assert len(body["errors"]) > 100, body
    first = body["errors"][0]
    assert first["locations"] == [{"line": 1, "column": query.index("u1_0") + 1}], first
    assert first["extensions"] == {"code": 4020, "status": 400}
    errors = validate(build_schema("type Query { a: Int }"), parse(query))
    started = time.perf_counter()
    answered = shaped(errors, False, "-")
    assert time.perf_counter() - started < 0.01
    assert [e.formatted.get("locations") for e in answered] == [e.formatted.get("locations") for e in errors]
