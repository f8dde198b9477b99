"""Relay over the real app, on SQLite and PostgreSQL: global ids read from answers and passed back
(into root fields, `node`, `nodes`, and as the documents' ids REST takes), strict refusals of bad
global ids, `node`/`nodes` role-checked as each type's own read, and keyset connections paging
forward and backward while other clients insert.
"""

from __future__ import annotations

import base64
import json
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


async def test_a_customers_global_id_names_the_customer_wherever_a_customer_is_named(
    client: httpx.AsyncClient,
) -> None:
    """Every customer id a GraphQL client passes takes the `id` an answer gave, as root fields do."""
    customer = await new_customer(client, FirstName="Ada")
    other = await new_customer(client, FirstName="Bob")
    global_id, other_global = _b64(f"Customer:{customer}"), _b64(f"Customer:{other}")
    started = await gql(
        client,
        "mutation($c: ID!) { startService(input: {customerId: $c, serviceType: 1}) { serviceId customerId } }",
        c=global_id,
    )
    assert started["data"]["startService"]["customerId"] == customer, started
    service = started["data"]["startService"]["serviceId"]
    anonymous = await new_service(client, contact_key="ANI-1")
    moved = await gql(
        client,
        "mutation($c: ID!, $s: Long!) { associateService(customerId: $c, serviceId: $s) { customerId } }",
        c=global_id,
        s=anonymous,
    )
    assert moved["data"]["associateService"]["customerId"] == customer, moved
    updated = await gql(
        client,
        'mutation($c: ID!) { updateProfile(customerId: $c, attributes: {FirstName: "Ada L."}) { customerId } }',
        c=global_id,
    )
    assert updated["data"]["updateProfile"]["customerId"] == customer, updated
    merged = await gql(
        client,
        "mutation($c: ID!, $s: ID!) { mergeProfiles(customerId: $c, sourceId: $s) { customerId } }",
        c=global_id,
        s=other_global,
    )
    assert merged["data"]["mergeProfiles"]["customerId"] == customer, merged
    assert (await client.get(f"/profiles/{other}")).status_code == 404  # the source merged away
    services = (await client.get(f"/customers/{customer}/services")).json()
    assert sorted(s["service_id"] for s in services) == sorted([service, anonymous])
    # a customer's global id of another type is refused, naming the argument
    wrong = await gql(client, "mutation($c: ID!) { deleteProfile(customerId: $c) }", c=_b64(f"Service:{service}"))
    assert "is the global id of a Service, not of a Customer" in wrong["errors"][0]["message"], wrong
    assert (await gql(client, "mutation($c: ID!) { deleteProfile(customerId: $c) }", c=global_id))["data"] == {
        "deleteProfile": True
    }
    assert (await client.get(f"/profiles/{customer}")).status_code == 404


async def test_a_control_character_inside_a_global_id_is_refused_not_a_server_error(
    client: httpx.AsyncClient,
) -> None:
    """A NUL hidden in base64 passes the front door's raw check; PostgreSQL cannot hold it (500 before)."""
    customer = await new_customer(client)
    for hidden in ("Interaction:\x00", "Interaction:a\x00b", "Interaction:\u200b"):
        cursor = _b64(hidden)
        for query, variables in [
            ("query($i: ID!) { interaction(id: $i) { interactionId } }", {"i": cursor}),
            ("query($i: ID!) { node(id: $i) { id } }", {"i": cursor}),
            ("query($i: [ID!]!) { nodes(ids: $i) { id } }", {"i": [cursor]}),
            (
                "query($c: ID!, $a: String) { customer(id: $c) { interactionsConnection(after: $a) { edges { cursor } } } }",
                {"c": customer, "a": cursor},
            ),
        ]:
            body = await gql(client, query, **variables)
            assert body["errors"][0]["extensions"]["status"] == 400, (hidden, query, body)
            assert "global id" in body["errors"][0]["message"], body


async def test_interaction_ids_that_read_as_global_ids(client: httpx.AsyncClient) -> None:
    """`interaction(id:)` takes either form: an id spelled as an interaction's global id is refused when
    recorded (it would find another interaction), one spelled as another type's stays the client's own."""
    customer = await new_customer(client)
    spelled = _b64("Interaction:a1")
    refused = await client.post("/interactions", json=chat(customer, spelled))
    assert refused.status_code == 400, refused.text
    assert "global id" in refused.json()["description"]
    absent = await gql(client, "query($i: ID!) { interaction(id: $i) { interactionId } }", i=_b64("State:1:2"))
    assert absent["errors"][0]["extensions"]["status"] == 404, absent  # looked up as the id it is
    for own in (_b64("Service:1"), _b64("Zz:q")):
        recorded = await client.post("/interactions", json=chat(customer, own))
        assert recorded.status_code == 201, recorded.text
        body = await gql(client, "query($i: ID!) { interaction(id: $i) { interactionId } }", i=own)
        assert body["data"] == {"interaction": {"interactionId": own}}, body


def test_new_customer_ids_never_read_as_global_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    from contextgraph.resolvers import ids

    made = iter(["dnpYOk7Xgkrrrrxv", "Q3VzdG9tZXI6YWJj", "0123456789abcdef"])  # the first two decode
    monkeypatch.setattr(ids, "_random_id", lambda: next(made))
    assert ids.decode_global("dnpYOk7Xgkrrrrxv") is not None
    assert ids.new_customer_id() == "0123456789abcdef"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_asked_for_one_answer_is_refused_with_where_to_subscribe(
    client: httpx.AsyncClient, method: str
) -> None:
    customer = await new_customer(client)
    query = "subscription($c: ID!) { journey(customerId: $c) { kind } }"
    variables = {"c": customer}
    for accept in ("*/*", "application/json", "application/graphql-response+json"):
        if method == "POST":
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"accept": accept}
            )
        else:
            params = {"query": query, "variables": json.dumps(variables)}
            response = await client.get("/graphql", params=params, headers={"accept": accept})
        assert response.status_code == 400, (accept, response.text)
        assert "Server-Sent Events" in response.json()["errors"][0]["message"]


async def test_a_long_id_that_finds_nothing_is_not_echoed_whole(client: httpx.AsyncClient) -> None:
    body = await gql(client, "query($c: ID!) { customer(id: $c) { customerId } }", c="a" * 50_000)
    message = body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["status"] == 404, body
    assert message.startswith("customer 'aaaa"), message[:200]
    assert len(message) < 120, message[:200]
