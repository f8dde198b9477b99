"""Relay connections over the real app, on SQLite and PostgreSQL: keyset pages forward (`first`/
`after`) and backward (`last`/`before`) that neither skip nor repeat while other clients insert,
arguments out of range refused before anything runs, a constant number of statements per tree
whatever its size, and the compiled executor serving them with graphql-core's answers.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.store.database import StatementCounter
from tests.helpers import new_customer, new_service, new_state, new_task
from tests.schema.test_compiled import _both_ways

SERVICES = """query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  customer(id: $c) { servicesConnection(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id serviceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


async def _page(client: httpx.AsyncClient, customer: str, **arguments: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": SERVICES, "variables": {"c": customer, **arguments}})
    body = response.json()
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["customer"]["servicesConnection"]
    return page


def _ids(page: dict[str, Any]) -> list[int]:
    return [edge["node"]["serviceId"] for edge in page["edges"]]


async def test_paging_forward_and_backward_while_others_insert(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    first = [await new_service(client, customer_id=customer) for _ in range(7)]

    async def insert_more(count: int) -> list[int]:
        return list(await asyncio.gather(*(new_service(client, customer_id=customer) for _ in range(count))))

    seen: list[int] = []
    after = None
    inserted: list[int] = []
    while True:  # forward, 3 at a time; others insert between every two pages
        page = await _page(client, customer, first=3, after=after)
        seen += _ids(page)
        assert [e["cursor"] for e in page["edges"]][-1:] == [page["pageInfo"]["endCursor"]] or not page["edges"]
        assert page["pageInfo"]["hasPreviousPage"] is False  # only known paging backward, as Relay's reference
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if len(inserted) < 6:
            inserted += await insert_more(2)
    # every service once, in order: the first ones and those inserted meanwhile (they come after)
    assert seen == sorted(first + inserted)
    assert len(set(seen)) == len(seen)

    backward: list[int] = []
    before = None
    while True:  # backward, 4 at a time, from the end
        page = await _page(client, customer, last=4, before=before)
        backward = _ids(page) + backward
        assert page["pageInfo"]["hasNextPage"] is False
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
        await insert_more(1)  # after the page: never seen paging backward, never breaking it
    assert backward == seen

    # a window: after one cursor and before another
    middle = await _page(client, customer, after=_cursor(seen[1]), before=_cursor(seen[5]))
    assert _ids(middle) == seen[2:5]
    # an empty page past the end
    end = await _page(client, customer, first=5, after=_cursor(2**62))
    assert end == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


def _cursor(service_id: int) -> str:
    return base64.urlsafe_b64encode(f"Service:{service_id}".encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"first": -1}, "must be between 1 and 1000"),
        ({"first": 0}, "must be between 1 and 1000"),
        ({"last": 1001}, "must be between 1 and 1000"),
        ({"first": 2147483647}, "must be between 1 and 1000"),
        ({"first": 2, "last": 2}, "give first or last, not both"),
        ({"after": "nonsense"}, "is not a global id"),
        (
            {"before": base64.urlsafe_b64encode(b"Task:1:2").rstrip(b"=").decode()},
            "is the global id of a Task, not of a State",
        ),
        ({"after": base64.urlsafe_b64encode(b"Service:-5").rstrip(b"=").decode()}, "is not a service's global id"),
    ],
)
async def test_pages_out_of_range_are_refused_before_anything_runs(
    app: Starlette, client: httpx.AsyncClient, arguments: dict[str, Any], reason: str
) -> None:
    customer = await new_customer(client)
    # deep under a list, as issue 15's stall hid a negative first: refused before the outer level runs
    query = """query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) { customer(id: $c) {
        services { statesConnection(first: $first, after: $after, last: $last, before: $before) { edges { cursor } } } } }"""
    counter = StatementCounter(app.state.runtime.db)
    try:
        response = await client.post("/graphql", json={"query": query, "variables": {"c": customer, **arguments}})
    finally:
        counter.close()
    body = response.json()
    assert body.get("data") is None, body
    assert reason in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"]["status"] == 400
    assert counter.count == 0


async def test_a_connection_costs_what_its_page_holds(app: Starlette, client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    app.state.runtime.settings.graphql_max_cost = 2000  # pages of 20 in 20 cost 1262; of 30 in 30, 2791
    small = """query($c: ID!) { customer(id: $c) { servicesConnection(first: 20) { edges { node {
        statesConnection(first: 20) { edges { node { id } } } } } } } }"""
    assert "errors" not in (await client.post("/graphql", json={"query": small, "variables": {"c": customer}})).json()
    big = small.replace("first: 20", "first: 30")
    body = (await client.post("/graphql", json={"query": big, "variables": {"c": customer}})).json()
    assert "its cost is" in body["errors"][0]["message"], body


TREE = """query($c: ID!) { customer(id: $c) { id servicesConnection(first: 50) { pageInfo { hasNextPage endCursor }
  edges { cursor node { id serviceId
    statesConnection { edges { cursor node { id stateId tasksConnection(last: 2) {
      pageInfo { hasPreviousPage startCursor } edges { node { id taskId } } } } } }
    tasksConnection(first: 1) { edges { node { id } } pageInfo { hasNextPage } } } } } } }"""


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"refresh_interval": 3600}  # the poller's queries would count too


async def _grow(client: httpx.AsyncClient, customer: str, services: int) -> None:
    for _ in range(services):
        service = await new_service(client, customer_id=customer)
        for _ in range(2):
            state = await new_state(client, service)
            for _ in range(3):
                await new_task(client, service, state_id=state)


async def test_a_tree_of_connections_costs_the_same_statements_whatever_its_size(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer = await new_customer(client)
    counts = []
    for services in (1, 4):
        await _grow(client, customer, services)
        counter = StatementCounter(app.state.runtime.db)
        try:
            body = (await client.post("/graphql", json={"query": TREE, "variables": {"c": customer}})).json()
        finally:
            counter.close()
        assert "errors" not in body, body
        edges = body["data"]["customer"]["servicesConnection"]["edges"]
        assert len(edges) == services + (1 if services == 4 else 0)
        state = edges[0]["node"]["statesConnection"]["edges"][0]["node"]
        assert len(state["tasksConnection"]["edges"]) == 2
        assert state["tasksConnection"]["pageInfo"]["hasPreviousPage"] is True
        assert edges[0]["node"]["tasksConnection"]["pageInfo"]["hasNextPage"] is True
        counts.append(counter.count)
    # BEGIN, the customer, services, states, tasks of states, tasks of services, COMMIT
    assert counts == [7, 7]


async def test_connections_and_global_ids_run_compiled_as_graphql_core_answers(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer = await new_customer(client)
    await _grow(client, customer, 3)
    body = await _both_ways(app, client, TREE, {"c": customer}, "compiled")
    assert len(body["data"]["customer"]["servicesConnection"]["edges"]) == 3
    page = """query($c: ID!, $a: String) { customer(id: $c) { servicesConnection(first: 2, after: $a) {
        edges { cursor } pageInfo { endCursor hasNextPage } } } }"""
    first = await _both_ways(app, client, page, {"c": customer}, "compiled")
    after = first["data"]["customer"]["servicesConnection"]["pageInfo"]["endCursor"]
    await _both_ways(app, client, page, {"c": customer, "a": after}, "compiled")
    # an interface field (node) runs on graphql-core's executor
    node = "query($c: ID!) { node(id: $c) { id ... on Customer { customerId } } }"
    customer_id = body["data"]["customer"]["id"]
    found = await _both_ways(app, client, node, {"c": customer_id}, "graphql-core")
    assert found["data"]["node"] == {"id": customer_id, "customerId": customer}
