"""Compiled plans answer exactly what graphql-core's field walk answers: the same queries, run both
ways through the real endpoint, give byte-for-byte equal bodies, errors included; the metrics say
which executor served each operation (a query has a plan unless it asks for an interface or union).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.store.database import StatementCounter
from tests.compat_rest.test_interactions import chat
from tests.helpers import FEEDBACK, OFFERS, PROPOSAL, new_customer, new_schema, new_service, new_state, new_task
from tests.test_operations import _metric

CAR = {"car type": "cabriolet", "price": 25000, "seats": 2}

JOURNEY = "id active startedAt completedAt duration disposition dispositionDesc started completed estDuration"
TREE = f"""
query Tree($id: ID!, $withTasks: Boolean!, $skipOffers: Boolean = false, $types: [String!]) {{
  customer(id: $id) {{
    __typename id attributes
    interactions {{ id mediaType entityType status startDate endDate subject fields textUrl serviceId }}
    extensions {{ Vip {{ level }} }}
    all: services {{ ...service }}
    open: services(status: ACTIVE, types: $types) {{ id serviceType tasks(status: COMPLETED) {{ id }} }}
  }}
}}
fragment service on Service {{
  __typename {JOURNEY} serviceType customerId contactKey
  customer {{ id }}
  interactions {{ id }}
  extensions {{ __typename Feedback {{ rating notes FeedbackType }} relatedOffers @skip(if: $skipOffers) {{ offer_name type }} }}
  states {{
    ... on State {{ {JOURNEY} stateType serviceId previousStateId }}
    extensions {{ Feedback {{ rating }} }}
    tasks @include(if: $withTasks) {{ ...task service {{ id }} }}
  }}
  tasks {{ ...task stateId }}
  renamed: tasks(status: ACTIVE) {{ taskId: id }}
}}
fragment task on Task {{ __typename {JOURNEY} taskType serviceId extensions {{ Proposal {{ car_type price seats }} }} }}
"""


async def _tree(client: httpx.AsyncClient) -> tuple[str, int]:
    assert (await client.post("/server/mode", json={"mode": "maintenance"})).status_code == 200
    await new_schema(
        client,
        "profiles",
        {"name": "Vip", "type": "single-valued", "attributes": [{"name": "level", "type": "integer"}]},
    )
    assert (await client.post("/server/mode", json={"mode": "production"})).status_code == 200
    await new_schema(client, "services", [FEEDBACK, OFFERS])
    await new_schema(client, "states", FEEDBACK)  # the same name as the service extension, on purpose
    await new_schema(client, "tasks", PROPOSAL)
    customer_id = await new_customer(client, FirstName="Ada", PhoneNumber=["555-1", "555-2"], Vip={"level": 3})
    first = 0
    for n in range(4):
        service_id = await new_service(
            client,
            customer_id=customer_id,
            service_type=n % 2,
            interaction_id=f"c{n}",
            Feedback={"FeedbackType": "survey", "rating": n},
            relatedOffers=[{"offer_name": f"o{i}", "type": i} for i in range(n)],
        )
        first = first or service_id
        for s in range(2):
            state_id = await new_state(client, service_id, state_type=s, Feedback={"FeedbackType": "t", "rating": s})
            task_id = await new_task(
                client, service_id, state_id=state_id, task_type=f"t{s}", Proposal=[CAR, CAR | {"car type": "van"}]
            )
            if n % 2:
                ended = await client.post(f"/services/{service_id}/tasks/{task_id}/end", json={"disposition": "done"})
                assert ended.status_code == 204, ended.text
        await new_task(client, service_id)  # a task in no state
        if n == 3:
            ended = await client.post(f"/services/{service_id}/end", json={"disposition": 7, "disposition_desc": "ok"})
            assert ended.status_code == 204, ended.text
        recorded = await client.post("/interactions", json=chat(customer_id) | {"interaction_id": f"c{n}"})
        assert recorded.status_code == 201, recorded.text
    return customer_id, first


async def _both_ways(
    app: Starlette, client: httpx.AsyncClient, query: str, variables: dict[str, Any], served_by: str
) -> dict[str, Any]:
    """The body with compiled plans and on graphql-core's field walk alone (compared as bytes), and
    which executor the first one ran on."""
    settings = app.state.runtime.settings
    before = (await client.get("/metrics")).text
    compiled = await client.post("/graphql", json={"query": query, "variables": variables})
    after = (await client.get("/metrics")).text
    settings.graphql_compiled = False
    try:
        normal = await client.post("/graphql", json={"query": query, "variables": variables})
    finally:
        settings.graphql_compiled = True
    assert compiled.status_code == normal.status_code
    assert compiled.content == normal.content
    name = "contextgraph_graphql_executions_total"
    assert _metric(after, name, executor=served_by) - _metric(before, name, executor=served_by) == 1
    body: dict[str, Any] = compiled.json()
    return body


async def test_the_whole_tree_is_the_same_both_ways(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id, _ = await _tree(client)
    for variables in (
        {"id": customer_id, "withTasks": True},
        {"id": customer_id, "withTasks": False, "skipOffers": True, "types": ["1"]},
    ):
        body = await _both_ways(app, client, TREE, variables, "compiled")
        assert "errors" not in body, body
        customer = body["data"]["customer"]
        # The comparison is only worth something if the tree is really there.
        assert len(customer["all"]) == 4
        assert len(customer["interactions"]) == 4
        assert [len(s["states"]) for s in customer["all"]] == [2, 2, 2, 2]
        assert customer["all"][3]["extensions"]["Feedback"]["rating"] == 3
        assert customer["all"][0]["states"][1]["extensions"]["Feedback"]["rating"] == 1
        assert customer["all"][0]["tasks"][0]["extensions"]["Proposal"][1]["price"] == 25000
        assert customer["all"][3]["completedAt"] is not None
        assert customer["all"][3]["dispositionDesc"] == "ok"
        assert ("relatedOffers" in customer["all"][2]["extensions"]) is not variables.get("skipOffers", False)
        assert ("tasks" in customer["all"][0]["states"][0]) is variables["withTasks"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("query($s: ID!) { service(id: $s) { id: serviceId serviceType active startedAt started } }", 0),
        (
            "query($s: ID!) { a: service(id: $s) { id: serviceId } b: service(id: $s) { ...on Service { id: serviceId, x: serviceId } } }",
            0,
        ),
        (
            "query($s: ID!) { state(serviceId: $s, id: 1) { id: stateId service { id: serviceId states { id: stateId } } } }",
            0,
        ),
        (
            "query($s: ID!) { task(serviceId: $s, id: 1) { taskType service { customer { services { id: serviceId } } } } }",
            0,
        ),
        (
            '{ interaction(id: "c1") { id: interactionId customerId customer { id: customerId } service { id: serviceId } fields } }',
            0,
        ),
        (
            "{ __schema { queryType { name } types { name fields { name type { name ofType { name } } } } } __typename }",
            0,
        ),
        # errors: a missing customer (null propagates to data), a bad argument deep in the tree (for
        # every parent: null propagates up to the customer), a missing service, one of two root fields
        ('{ customer(id: "nobody") { id: customerId } }', 1),
        ('query($c: ID!) { customer(id: $c) { services(startedFrom: "yesterday") { id: serviceId } } }', 1),
        ("{ service(id: 999999) { id: serviceId } }", 1),
        (
            "query($s: ID!) { ok: service(id: $s) { id: serviceId } missing: state(serviceId: $s, id: 999999) { id: stateId } }",
            1,
        ),
    ],
)
async def test_small_queries_and_errors_are_the_same_both_ways(
    app: Starlette, client: httpx.AsyncClient, query: str, errors: int
) -> None:
    customer_id, service_id = await _tree(client)
    variables = {name: value for name, value in (("s", service_id), ("c", customer_id)) if f"${name}" in query}
    body = await _both_ways(app, client, query, variables, "compiled")
    assert len(body.get("errors", [])) == errors, body


@pytest.mark.parametrize("allowed", [5, 6, 7, 9, 12, 20, 26])
async def test_an_answer_over_its_size_fails_where_graphql_core_fails_it(
    app: Starlette, client: httpx.AsyncClient, allowed: int
) -> None:
    """Each parent's list counts into the answer's size in turn: the one that crosses the limit
    fails, with its path, and the null climbs to the nearest nullable place (here: the answer)."""
    customer_id, _ = await _tree(client)
    app.state.runtime.settings.graphql_max_objects = allowed
    query = """query($c: ID!) { customer(id: $c) { id: customerId open: services(status: ACTIVE) { id: serviceId }
        services { id: serviceId states { id: stateId tasks { id: taskId } } interactions { id: interactionId } } } }"""
    body = await _both_ways(app, client, query, {"c": customer_id}, "compiled")
    assert body["data"] is None
    assert [e["extensions"]["status"] for e in body["errors"]] == [400]
    assert "more than" in body["errors"][0]["message"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"refresh_interval": 3600}  # the poller's queries would count too


async def test_the_tree_costs_seven_statements_compiled(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id, _ = await _tree(client)
    query = """query($id: ID!) { customer(id: $id) { services { extensions { Feedback { rating } }
        states { extensions { Feedback { rating } } tasks { extensions { Proposal { price } } } } } } }"""
    counter = StatementCounter(app.state.runtime.db)
    try:
        response = await client.post("/graphql", json={"query": query, "variables": {"id": customer_id}})
    finally:
        counter.close()
    assert "errors" not in response.json()
    # in one snapshot (BEGIN … COMMIT): the customer, services, states, tasks of states, and every
    # extension record at once
    assert counter.count == 7
