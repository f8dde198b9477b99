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
from tests.compat_rest.test_interactions import chat
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


INTERACTIONS = """query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  customer(id: $c) { interactionsConnection(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id interactionId startDate } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


def _interaction(customer: str, interaction_id: str, start: str, **extra: Any) -> dict[str, Any]:
    return chat(customer, interaction_id, start_date=start, end_date=None, established_date=start) | extra


async def _record(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/interactions", json={k: v for k, v in body.items() if v is not None})
    assert response.status_code == 201, response.text


async def _interaction_page(client: httpx.AsyncClient, customer: str, **arguments: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": INTERACTIONS, "variables": {"c": customer, **arguments}})
    body = response.json()
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["customer"]["interactionsConnection"]
    return page


def _interaction_ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["interactionId"] for edge in page["edges"]]


async def test_interactions_page_by_start_time_then_id_while_others_record(client: httpx.AsyncClient) -> None:
    """Interactions are ordered by start time (not by id, not by the text of their dates): the cursor
    is a key of both, so pages neither skip nor repeat while interactions are recorded anywhere."""
    customer = await new_customer(client)
    # ties on the start time (ordered by id), ids against the time order, and offsets that sort
    # otherwise as text ("10:30+02:00" is 08:30 UTC, before "09:00Z")
    starts = {
        "m": "2024-03-01T09:00:00Z",
        "b": "2024-03-01T09:00:00Z",
        "z": "2024-03-01T08:00:00Z",
        "a": "2024-03-01T10:30:00+02:00",
        "k": "2024-03-01T11:00:00Z",
        "c": "2024-03-01T12:00:00Z",
        "d": "2024-03-01T12:00:00.001Z",
    }
    for interaction_id, start in starts.items():
        await _record(client, _interaction(customer, interaction_id, start))
    ordered = ["z", "a", "b", "m", "k", "c", "d"]

    seen: list[str] = []
    after = None
    later: list[str] = []
    while True:  # forward, 2 at a time; between pages one lands later than all and one earlier
        page = await _interaction_page(client, customer, first=2, after=after)
        seen += _interaction_ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if len(later) < 3:
            n = len(later)
            later.append(f"late{n}")
            await _record(client, _interaction(customer, f"late{n}", f"2024-04-0{n + 1}T00:00:00Z"))
            await _record(client, _interaction(customer, f"early{n}", f"2024-02-0{n + 1}T00:00:00Z"))
    assert seen == ordered + later  # the earlier ones came before the cursor: never seen, never repeated

    everything = ["early0", "early1", "early2", *ordered, *later]
    assert _interaction_ids(await _interaction_page(client, customer, first=1000)) == everything
    assert [i["interaction_id"] for i in (await client.get(f"/customers/{customer}/interactions")).json()] == (
        everything  # REST lists them in the same order
    )

    backward: list[str] = []
    before = None
    while True:  # backward, 3 at a time, while one is recorded at the very end each time
        page = await _interaction_page(client, customer, last=3, before=before)
        backward = _interaction_ids(page) + backward
        assert page["pageInfo"]["hasNextPage"] is False
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
        await _record(client, _interaction(customer, f"end{len(backward)}", "2025-01-01T00:00:00Z"))
    assert backward == everything

    cursors = {e["node"]["interactionId"]: e["cursor"] for e in (await _interaction_page(client, customer))["edges"]}
    window = await _interaction_page(client, customer, after=cursors["b"], before=cursors["c"])
    assert _interaction_ids(window) == ["m", "k"]
    # a cursor naming no interaction gives an empty page (one naming any interaction is a place in the order)
    gone = base64.urlsafe_b64encode(b"Interaction:nobody").rstrip(b"=").decode()
    assert (await _interaction_page(client, customer, first=5, after=gone))["edges"] == []
    # the plain list takes first/offset in the same order
    plain = """query($c: ID!) { customer(id: $c) { interactions(first: 3, offset: 2) { interactionId } } }"""
    body = (await client.post("/graphql", json={"query": plain, "variables": {"c": customer}})).json()
    assert [i["interactionId"] for i in body["data"]["customer"]["interactions"]] == everything[2:5]


SERVICE_INTERACTIONS = """query($c: ID!, $after: String) { customer(id: $c) { services { serviceId
  interactionsConnection(first: 2, after: $after) { edges { cursor node { interactionId serviceId } }
    pageInfo { hasNextPage endCursor } } } } }"""


async def test_a_services_interactions_page_those_recorded_with_it_and_those_its_events_name(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer = await new_customer(client)
    service = await new_service(client, customer_id=customer, interaction_id="named-start")
    other = await new_service(client, customer_id=customer)
    state = await new_state(client, service, interaction_id="named-state")
    await new_task(client, other, interaction_id="other-task")
    for interaction_id, start, extra in [
        ("named-start", "2024-01-01T10:00:00Z", {}),
        ("named-state", "2024-01-01T10:01:00Z", {}),
        ("recorded", "2024-01-01T10:02:00Z", {"service_id": service}),
        ("recorded-other", "2024-01-01T09:00:00Z", {"service_id": other}),
        ("other-task", "2024-01-01T11:00:00Z", {}),
        ("nobodys", "2024-01-01T08:00:00Z", {}),
    ]:
        await _record(client, _interaction(customer, interaction_id, start, **extra))
    assert state

    pages: list[dict[int, list[str]]] = []
    after = None
    counter = StatementCounter(app.state.runtime.db)
    try:
        for _ in range(2):  # the second asks every service for what follows the first's page
            variables = {"c": customer, "after": after}
            body = (await client.post("/graphql", json={"query": SERVICE_INTERACTIONS, "variables": variables})).json()
            assert "errors" not in body, body
            found = body["data"]["customer"]["services"]
            pages.append({s["serviceId"]: _interaction_ids(s["interactionsConnection"]) for s in found})
            after = found[0]["interactionsConnection"]["pageInfo"]["endCursor"]
    finally:
        counter.close()
    assert pages[0] == {service: ["named-start", "named-state"], other: ["recorded-other", "other-task"]}
    # a cursor is a place in (start time, id) order: after 10:01 come 10:02 (ours) and 11:00 (the other's)
    assert pages[1] == {service: ["recorded"], other: ["other-task"]}
    # BEGIN, customer, services, every service's interactions, COMMIT — per request
    assert counter.count == 2 * 5


async def test_interaction_connections_run_compiled_as_graphql_core_answers(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer = await new_customer(client)
    service = await new_service(client, customer_id=customer, interaction_id="i0")
    for n in range(4):
        await _record(client, _interaction(customer, f"i{n}", f"2024-01-0{n + 1}T00:00:00Z", service_id=service))
    tree = """query($c: ID!, $a: String) { customer(id: $c) {
        interactionsConnection(last: 2, before: $a) { pageInfo { hasPreviousPage startCursor }
          edges { cursor node { id interactionId service { serviceId } } } }
        services { interactionsConnection(first: 3) { edges { node { interactionId } } pageInfo { hasNextPage } } } } }"""
    body = await _both_ways(app, client, tree, {"c": customer}, "compiled")
    page = body["data"]["customer"]["interactionsConnection"]
    assert [e["node"]["interactionId"] for e in page["edges"]] == ["i2", "i3"]
    back = await _both_ways(app, client, tree, {"c": customer, "a": page["pageInfo"]["startCursor"]}, "compiled")
    assert [e["node"]["interactionId"] for e in back["data"]["customer"]["interactionsConnection"]["edges"]] == [
        "i0",
        "i1",
    ]
    services = body["data"]["customer"]["services"][0]["interactionsConnection"]
    assert services["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"first": 0}, "must be between 1 and 1000"),
        ({"last": 1001}, "must be between 1 and 1000"),
        ({"after": _cursor(5)}, "is the global id of a Service, not of an Interaction"),
        ({"before": "x" * 600}, "is not a global id"),
    ],
)
async def test_interaction_pages_out_of_range_are_refused(
    client: httpx.AsyncClient, arguments: dict[str, Any], reason: str
) -> None:
    customer = await new_customer(client)
    response = await client.post("/graphql", json={"query": INTERACTIONS, "variables": {"c": customer, **arguments}})
    body = response.json()
    assert body.get("data") is None, body
    assert reason in body["errors"][0]["message"], body


ANONYMOUS = """query($k: String!, $first: Int, $after: String, $last: Int, $before: String) {
  anonymousServicesConnection(contactKey: $k, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { serviceId customerId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def _anonymous_page(client: httpx.AsyncClient, key: str, **arguments: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": ANONYMOUS, "variables": {"k": key, **arguments}})
    body = response.json()
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["anonymousServicesConnection"]
    return page


async def test_anonymous_services_page_while_others_start_and_associate(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    key = "ANI-5550100"
    customer = await new_customer(client)
    started = [await new_service(client, contact_key=key) for _ in range(6)]
    # associated ones leave the list, in SQL: a page of 2 still holds 2 anonymous services
    for service in started[1:3]:
        response = await client.post(f"/customers/{customer}/services/{service}")
        assert response.status_code == 200, response.text
    anonymous = [started[0], *started[3:]]
    plain = "query($k: String!) { anonymousServices(contactKey: $k, first: 2, offset: 1) { serviceId } }"
    body = (await client.post("/graphql", json={"query": plain, "variables": {"k": key}})).json()
    assert [s["serviceId"] for s in body["data"]["anonymousServices"]] == anonymous[1:3]

    seen: list[int] = []
    after = None
    counter = StatementCounter(app.state.runtime.db)
    try:
        while True:  # forward, 2 at a time, while another anonymous service starts between pages
            page = await _anonymous_page(client, key, first=2, after=after)
            assert all(edge["node"]["customerId"] is None for edge in page["edges"])
            seen += [edge["node"]["serviceId"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
            if len(anonymous) < 7:
                anonymous.append(await new_service(client, contact_key=key))
    finally:
        counter.close()
    assert seen == anonymous
    backward = await _anonymous_page(client, key, last=3)
    assert [e["node"]["serviceId"] for e in backward["edges"]] == anonymous[-3:]
    assert backward["pageInfo"]["hasPreviousPage"] is True
    refused = (await client.post("/graphql", json={"query": ANONYMOUS, "variables": {"k": key, "first": 1001}})).json()
    assert "must be between 1 and 1000" in refused["errors"][0]["message"]
    await _both_ways(app, client, ANONYMOUS, {"k": key, "last": 2, "before": _cursor(anonymous[-1])}, "compiled")
