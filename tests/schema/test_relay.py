"""Relay over the real app, on SQLite and PostgreSQL: global ids read from answers and passed back
(into root fields, `node`, `nodes`, and as the documents' ids REST takes), strict refusals of bad
global ids, `node`/`nodes` role-checked as each type's own read, and keyset connections paging
forward and backward while other clients insert.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.store.database import StatementCounter
from tests.compat_rest.test_interactions import chat
from tests.helpers import new_customer, new_service, new_state, new_task
from tests.test_auth import make_key


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    return body


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


async def _journey(client: httpx.AsyncClient) -> dict[str, Any]:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id, state_id=state_id)
    recorded = await client.post("/interactions", json=chat(customer_id) | {"interaction_id": "chat-1"})
    assert recorded.status_code == 201, recorded.text
    return {"customer": customer_id, "service": service_id, "state": state_id, "task": task_id}


IDS = """query($c: ID!) { customer(id: $c) { id customerId
    services { id serviceId customerId
        states { id stateId serviceId tasks { id taskId stateId serviceId } } }
    interactions { id interactionId customerId } } }"""


async def test_global_ids_round_trip_into_roots_node_nodes_and_rest(client: httpx.AsyncClient) -> None:
    made = await _journey(client)
    body = await gql(client, IDS, c=made["customer"])
    assert "errors" not in body, body
    customer = body["data"]["customer"]
    service = customer["services"][0]
    state = service["states"][0]
    task = state["tasks"][0]
    interaction = customer["interactions"][0]
    # the documents' ids are their own fields, as REST names them
    assert (customer["customerId"], service["serviceId"], state["stateId"], task["taskId"]) == (
        made["customer"],
        made["service"],
        made["state"],
        made["task"],
    )
    assert interaction["interactionId"] == "chat-1"
    # every global id is opaque and distinct from the document's id
    ids = [customer["id"], service["id"], state["id"], task["id"], interaction["id"]]
    assert len(set(ids)) == 5
    assert all(str(i) not in {str(v) for v in made.values()} for i in ids)

    # each passed back into its root field finds the same object, as the document's id does
    roots = """query($c: ID!, $s: ID!, $st: ID!, $t: ID!, $i: ID!) {
        customer(id: $c) { customerId } service(id: $s) { serviceId } state(id: $st) { stateId serviceId }
        task(id: $t) { taskId } interaction(id: $i) { interactionId } }"""
    by_global = await gql(client, roots, c=ids[0], s=ids[1], st=ids[2], t=ids[3], i=ids[4])
    assert "errors" not in by_global, by_global
    assert by_global["data"]["customer"]["customerId"] == made["customer"]
    assert by_global["data"]["state"] == {"stateId": made["state"], "serviceId": made["service"]}
    assert by_global["data"]["task"]["taskId"] == made["task"]
    by_document = await gql(
        client,
        """query($c: ID!, $s: ID!, $st: ID!, $t: ID!, $i: ID!) {
        customer(id: $c) { id } service(id: $s) { id } state(id: $st, serviceId: $s) { id }
        task(id: $t, serviceId: $s) { id } interaction(id: $i) { id } }""",
        c=made["customer"],
        s=str(made["service"]),
        st=str(made["state"]),
        t=str(made["task"]),
        i="chat-1",
    )
    assert "errors" not in by_document, by_document
    assert [by_document["data"][k]["id"] for k in ("customer", "service", "state", "task", "interaction")] == ids

    # node and nodes find them all, typed
    nodes = await gql(
        client,
        """query($ids: [ID!]!, $one: ID!) { node(id: $one) { id ... on Task { taskId } }
        nodes(ids: $ids) { __typename id ... on Service { serviceId } ... on Customer { customerId } } }""",
        ids=ids,
        one=ids[3],
    )
    assert "errors" not in nodes, nodes
    assert nodes["data"]["node"] == {"id": ids[3], "taskId": made["task"]}
    assert [n["__typename"] for n in nodes["data"]["nodes"]] == ["Customer", "Service", "State", "Task", "Interaction"]
    assert [n["id"] for n in nodes["data"]["nodes"]] == ids
    assert nodes["data"]["nodes"][1]["serviceId"] == made["service"]

    # the document ids an answer gives are the ones REST takes
    rest = await client.get(f"/services/{service['serviceId']}/states/{state['stateId']}")
    assert rest.status_code == 200, rest.text
    assert rest.json()["state_id"] == made["state"]
    rest = await client.get(f"/profiles/{customer['customerId']}")
    assert rest.status_code == 200, rest.text


async def test_missing_nodes_are_null(client: httpx.AsyncClient) -> None:
    made = await _journey(client)
    other_service = await new_service(client)
    gone = [
        _b64("Service:999999"),
        _b64("Customer:AAAAAAAAAAAAAAAA"),
        _b64(f"State:{other_service}:{made['state']}"),  # a real state, but not of that service
        _b64("Interaction:nope"),
    ]
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=gone)
    assert body == {"data": {"nodes": [None, None, None, None]}}, body
    body = await gql(client, "query($s: ID!) { node(id: $s) { id } }", s=gone[0])
    assert body == {"data": {"node": None}}, body


BAD = [
    ("not base64 at all!", "is not a global id"),
    ("U2VydmljZTo0Mg==", "is not a global id"),  # padded: not the one spelling
    (_b64("Spaceship:1"), "has no global ids"),
    (_b64("Service:-1"), "is not a service's global id"),
    (_b64("Service:01"), "is not a service's global id"),
    (_b64("Service:99999999999999999999"), "is not a service's global id"),
    (_b64("State:1"), "is not a state's global id"),
    (_b64("Task:1:4294967296"), "is not a task's global id"),
    (_b64("Customer:" + "x" * 65), "is not a customer's global id"),
    (_b64("Customer:ab\u0301c"), "is not a customer's global id"),
    (_b64("Service:1\x00"), "is not a service's global id"),
    (_b64("Service:\uff11"), "is not a service's global id"),  # a fullwidth digit
    (_b64("Service:1\u200b"), "is not a service's global id"),  # a zero-width space
    ("U2VydmljZTox\u200b", "is not a global id"),
    ("A" * 10_000, "is not a global id"),
]


@pytest.mark.parametrize(("given", "reason"), BAD)
async def test_bad_global_ids_are_refused_before_anything_runs(
    app: Starlette, client: httpx.AsyncClient, given: str, reason: str
) -> None:
    counter = StatementCounter(app.state.runtime.db)
    try:
        for query in ("query($i: ID!) { node(id: $i) { id } }", "query($i: ID!) { nodes(ids: [$i]) { id } }"):
            response = await client.post("/graphql", json={"query": query, "variables": {"i": given}})
            body = response.json()
            assert body.get("data") is None, body
            assert reason in body["errors"][0]["message"], body
            assert body["errors"][0]["extensions"]["status"] == 400, body
    finally:
        counter.close()
    assert counter.count == 0  # refused by the guard: no statement ran


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        # a global id of another type where a field takes one type
        (f'{{ service(id: "{_b64("Task:1:2")}") {{ id }} }}', "is the global id of a Task, not of a Service"),
        (f'{{ customer(id: "{_b64("Service:1")}") {{ id }} }}', "is the global id of a Service, not of a Customer"),
        (
            f'{{ interaction(id: "{_b64("State:1:2")}") {{ id }} }}',
            "is the global id of a State, not of an Interaction",
        ),
        (f'{{ state(id: "{_b64("Spaceship:1")}") {{ id }} }}', "has no global ids"),
        ('{ service(id: "12abc") { id } }', "neither a service id nor a Service's global id"),
        ('{ service(id: "-1") { id } }', "neither a service id"),
        ("{ state(id: 3) { id } }", "serviceId"),  # a state's own id needs its service
        (f'{{ task(id: "{_b64("Task:1:2")}", serviceId: 2) {{ id }} }}', "names service 1"),
    ],
)
async def test_root_fields_refuse_ids_of_the_wrong_kind(client: httpx.AsyncClient, query: str, reason: str) -> None:
    body = (await client.post("/graphql", json={"query": query})).json()
    assert body["data"] is None, body
    assert reason in body["errors"][0]["message"], body
    assert body["errors"][0]["extensions"]["status"] == 400


async def test_node_and_nodes_need_the_read_role_of_every_type_asked(app: Starlette, client: httpx.AsyncClient) -> None:
    made = await _journey(client)
    body = await gql(client, IDS, c=made["customer"])
    customer = body["data"]["customer"]
    service_id = customer["services"][0]["id"]
    task_id = customer["services"][0]["states"][0]["tasks"][0]["id"]
    headers = await make_key(app, ["UCS.Service.readService"])
    allowed = await client.post(
        "/graphql",
        json={"query": "query($i: ID!) { node(id: $i) { id } }", "variables": {"i": service_id}},
        headers=headers,
    )
    assert allowed.json() == {"data": {"node": {"id": service_id}}}, allowed.text
    for query, variables in (
        ("query($i: ID!) { node(id: $i) { id } }", {"i": task_id}),
        ("query($i: ID!) { node(id: $i) { id } }", {"i": customer["id"]}),
        ("query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { id } }", {"a": service_id, "b": task_id}),
    ):
        refused = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = refused.json()
        assert body.get("data") is None, body  # nothing leaks, not even the service the key may read
        assert body["errors"][0]["extensions"]["status"] == 403, body
