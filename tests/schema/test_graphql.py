"""GraphQL at /graphql: the tree query, mutations through the same resolvers, errors, batching."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.store.database import StatementCounter
from tests.conftest import snapshot
from tests.helpers import new_customer, new_service, new_state, new_task

TREE = """
query Tree($id: ID!) {
  customer(id: $id) {
    id: customerId attributes
    services {
      id: serviceId serviceType active started
      states { id: stateId stateType active tasks { id: taskId taskType } }
      tasks(status: ACTIVE) { id: taskId stateId }
    }
  }
}
"""


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _customer_with(client: httpx.AsyncClient, services: int) -> str:
    customer_id = await new_customer(client)
    for n in range(services):
        service_id = await new_service(client, customer_id=customer_id, service_type=n)
        for _ in range(2):
            state_id = await new_state(client, service_id)
            await new_task(client, service_id, state_id=state_id)
    return customer_id


async def test_customer_tree(client: httpx.AsyncClient) -> None:
    customer_id = await _customer_with(client, 2)
    body = await gql(client, TREE, id=customer_id)
    assert "errors" not in body
    customer = body["data"]["customer"]
    assert customer["id"] == customer_id
    assert customer["attributes"] == {"FirstName": "Ada", "LastName": "Lovelace"}
    assert [s["serviceType"] for s in customer["services"]] == [0, 1]
    for service in customer["services"]:
        assert len(service["states"]) == 2
        assert all(len(state["tasks"]) == 1 for state in service["states"])
        assert {t["stateId"] for t in service["tasks"]} == {s["id"] for s in service["states"]}
        assert isinstance(service["started"]["timestamp"], str)


class TestBatching:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"refresh_interval": 3600}  # the poller's queries would count too

    async def test_statement_count_does_not_grow_with_the_tree(self, app: Starlette, client: httpx.AsyncClient) -> None:
        counts = []
        for size in (2, 40):
            customer_id = await _customer_with(client, size)
            counter = StatementCounter(app.state.runtime.db)
            try:
                body = await gql(client, TREE, id=customer_id)
            finally:
                counter.close()
            assert len(body["data"]["customer"]["services"]) == size
            counts.append(counter.count)
        # customer, services, states, tasks of states, tasks of services: one statement each, in one
        # snapshot (BEGIN … COMMIT)
        assert counts == [7, 7]


async def test_rest_and_graphql_show_the_same_service(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, service_type="Wireless", media_type="voice", est_duration=60)
    rest = (await client.get(f"/services/{service_id}")).json()
    body = await gql(
        client,
        "query($id: ID!) { service(id: $id) { id: serviceId serviceType estDuration contactKey started } }",
        id=service_id,
    )
    service = body["data"]["service"]
    assert service == {
        "id": service_id,
        "serviceType": "Wireless",
        "estDuration": 60,
        "contactKey": rest["contact_key"],
        "started": rest["started"],
    }


async def test_journey_through_mutations(client: httpx.AsyncClient) -> None:
    created = await gql(client, 'mutation { createProfile(attributes: {FirstName: "Grace"}) { id: customerId } }')
    customer_id = created["data"]["createProfile"]["id"]

    started = await gql(
        client,
        """mutation($c: ID!) {
        startService(input: {customerId: $c, serviceType: "Wireless", mediaType: 2, timestamp: "2024-01-01T10:00:00Z"})
        { id: serviceId customerId serviceType started } }""",
        c=customer_id,
    )
    service = started["data"]["startService"]
    assert service["customerId"] == customer_id
    assert service["started"] == {"media_type": 2, "timestamp": "2024-01-01T10:00:00.000Z"}
    sid = service["id"]

    state = (
        await gql(
            client, "mutation($s: Long!) { startState(serviceId: $s, input: {stateType: 1}) { id: stateId } }", s=sid
        )
    )["data"]["startState"]
    moved = await gql(
        client,
        """mutation($s: Long!, $st: Int!) {
        transitionState(serviceId: $s, input: {from: {stateId: $st, disposition: "done"}, to: {stateType: 2}})
        { id: stateId stateType previousStateId } }""",
        s=sid,
        st=state["id"],
    )
    new_state = moved["data"]["transitionState"]
    assert new_state["stateType"] == 2
    assert new_state["previousStateId"] == state["id"]

    task = await gql(
        client,
        """mutation($s: Long!, $st: Int!) {
        startTask(serviceId: $s, input: {taskType: "quote", stateId: $st}) { id: taskId active } }""",
        s=sid,
        st=new_state["id"],
    )
    task_id = task["data"]["startTask"]["id"]
    done = await gql(
        client,
        """mutation($s: Long!, $t: Int!) {
        completeTask(serviceId: $s, taskId: $t, input: {disposition: 10}) { active disposition duration } }""",
        s=sid,
        t=task_id,
    )
    assert done["data"]["completeTask"]["active"] is False
    assert done["data"]["completeTask"]["disposition"] == 10

    ended = await gql(client, "mutation($s: Long!) { completeService(serviceId: $s) { active completedAt } }", s=sid)
    assert ended["data"]["completeService"]["active"] is False

    rest = (await client.get(f"/services/{sid}?completed_states=true&active_states=true&completed_tasks=true")).json()
    assert [s["state_id"] for s in rest["completed_states"]] == [state["id"]]
    assert [s["state_id"] for s in rest["active_states"]] == [new_state["id"]]
    assert rest["completed_states"][0]["disposition"] == "done"
    assert [t["task_id"] for t in rest["completed_tasks"]] == [task_id]


async def test_anonymous_services_and_association(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    sid = await new_service(client, contact_key="ANI-5551234")
    query = '{ anonymousServices(contactKey: "ANI-5551234") { id: serviceId customer { id: customerId } } }'
    assert (await gql(client, query))["data"]["anonymousServices"] == [{"id": sid, "customer": None}]
    moved = await gql(
        client,
        """mutation($c: ID!, $s: Long!) {
        associateService(customerId: $c, serviceId: $s) { customer { id: customerId } } }""",
        c=customer_id,
        s=sid,
    )
    assert moved["data"]["associateService"]["customer"]["id"] == customer_id
    assert (await gql(client, query))["data"]["anonymousServices"] == []


async def test_composite_start_mutation(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    mutation = """mutation($c: ID!) { compositeStart(services: [{
        service: {customerId: $c, serviceType: 1}, state: {stateType: 2}, task: {taskType: 3},
        associateStateTask: true}]) { serviceId serviceCreated stateCreated taskId taskCreated } }"""
    first = (await gql(client, mutation, c=customer_id))["data"]["compositeStart"][0]
    second = (await gql(client, mutation, c=customer_id))["data"]["compositeStart"][0]
    assert first["serviceCreated"]
    assert first["stateCreated"]
    assert first["taskCreated"]
    assert second["serviceId"] == first["serviceId"]
    assert second["taskId"] == first["taskId"]
    assert not (second["serviceCreated"])
    assert not (second["stateCreated"])
    assert not (second["taskCreated"])


async def test_errors_carry_code_and_status_and_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    missing = await gql(client, '{ customer(id: "0000000000000000") { id: customerId } }')
    assert missing["data"] is None
    assert missing["errors"][0]["extensions"] == {"code": 4040, "status": 404}

    before = await snapshot(app)
    bad = await gql(client, 'mutation { startService(input: {serviceType: "x"}) { id: serviceId } }')
    assert bad["errors"][0]["extensions"]["status"] == 400
    assert "contact_key" in bad["errors"][0]["message"]
    reserved = await gql(
        client, 'mutation { createProfile(attributes: {FirstName: "drop", LastName: "table"}) {id: customerId} }'
    )
    assert reserved["errors"][0]["extensions"]["status"] == 400
    assert await snapshot(app) == before


async def test_bad_scalar_values_are_refused(client: httpx.AsyncClient) -> None:
    body = await gql(client, 'mutation { startService(input: {serviceType: 1.5, contactKey: "k"}) { id: serviceId } }')
    assert "errors" in body
    assert "LongOrString" in body["errors"][0]["message"]


async def test_unexpected_errors_are_masked(app: Starlette, client: httpx.AsyncClient) -> None:
    import sqlalchemy as sa

    sid = await new_service(client)
    async with app.state.runtime.db.write() as conn:
        await conn.execute(sa.text("DROP TABLE task"))
    body = await gql(client, "query($s: ID!) { service(id: $s) { tasks { id: taskId } } }", s=sid)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"]["status"] == 500


async def test_maintenance_mode_applies_to_graphql(client: httpx.AsyncClient) -> None:
    sid = await new_service(client)
    switched = await gql(client, 'mutation { setServerMode(mode: "maintenance") }')
    assert switched["data"]["setServerMode"] == "maintenance"
    body = await gql(client, "query($s: ID!) { service(id: $s) { id: serviceId } }", s=sid)
    assert body["errors"][0]["extensions"]["status"] == 403
    status = await gql(client, "{ serverStatus }")
    assert status["data"]["serverStatus"]["mode"] == "maintenance"


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
