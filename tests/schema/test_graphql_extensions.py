"""Typed GraphQL fields that follow the extension schemas live, batched, swapped without breaking
requests in flight.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.store.database import StatementCounter
from tests.conftest import snapshot
from tests.helpers import FEEDBACK, OFFERS, PROPOSAL, new_customer, new_schema, new_service, new_state, new_task
from tests.schema.test_graphql import gql

CAR = {"car type": "cabriolet", "price": 25000, "seats": 2}


async def test_extension_fields_are_typed(client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", [FEEDBACK, OFFERS])
    await new_schema(client, "tasks", PROPOSAL)
    service_id = await new_service(
        client,
        Feedback={"FeedbackType": "survey", "rating": 7},
        relatedOffers=[{"offer_name": "a", "type": 1}, {"offer_name": "b"}],
    )
    await new_task(client, service_id, Proposal=[CAR])
    query = """query($id: ID!) { service(id: $id) {
        extensions { Feedback { FeedbackType rating notes } relatedOffers { offer_name type } }
        tasks { extensions { Proposal { car_type price seats available } } } } }"""
    body = await gql(client, query, id=service_id)
    assert "errors" not in body, body
    service = body["data"]["service"]
    assert service["extensions"]["Feedback"] == {"FeedbackType": "survey", "rating": 7, "notes": None}
    assert service["extensions"]["relatedOffers"] == [{"offer_name": "a", "type": 1}, {"offer_name": "b", "type": 0}]
    assert service["tasks"][0]["extensions"]["Proposal"] == [
        {"car_type": "cabriolet", "price": 25000, "seats": 2, "available": None}
    ]
    types = await gql(
        client, '{ __type(name: "TaskProposalRecord") { fields { name description type { name kind } } } }'
    )
    fields = {f["name"]: f for f in types["data"]["__type"]["fields"]}
    assert fields["car_type"]["description"] == "string attribute 'car type'"
    assert fields["car_type"]["type"]["kind"] == "NON_NULL"  # mandatory
    assert fields["seats"]["type"]["name"] == "Int"
    assert fields["available"]["type"]["name"] == "Boolean"


async def test_schema_changes_show_without_a_restart(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    query = "query($id: ID!) { service(id: $id) { extensions { Feedback { rating } } } }"
    assert "errors" in await gql(client, query, id=service_id)  # no service extensions yet
    created = await gql(client, "mutation($s: JSON!) { createExtensionSchema(kind: SERVICE, schema: $s) }", s=FEEDBACK)
    assert created["data"]["createExtensionSchema"]["name"] == "Feedback"
    assert (await gql(client, query, id=service_id))["data"]["service"]["extensions"] == {"Feedback": None}
    assert (await gql(client, 'mutation { deleteExtensionSchema(kind: SERVICE, name: "feedback") }'))["data"]
    assert "errors" in await gql(client, query, id=service_id)


async def test_mutations_take_extension_values(app: Starlette, client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", [FEEDBACK, OFFERS])
    await new_schema(client, "states", FEEDBACK)
    customer_id = await new_customer(client)
    started = await gql(
        client,
        """mutation($c: ID!, $x: ServiceExtensionsInput!) {
        startService(input: {customerId: $c, serviceType: 1, extensions: $x}) {
          id: serviceId extensions { relatedOffers { offer_name } } } }""",
        c=customer_id,
        x={"relatedOffers": [{"offer_name": "a"}]},
    )
    service = started["data"]["startService"]
    assert service["extensions"]["relatedOffers"] == [{"offer_name": "a"}]

    owner = {"kind": "SERVICE", "serviceId": service["id"]}
    replaced = await gql(
        client,
        "mutation($o: OwnerInput!, $v: ExtensionValueInput!) { replaceExtension(owner: $o, value: $v) }",
        o=owner,
        v={"service": {"Feedback": {"FeedbackType": "x", "rating": 1}}},
    )
    assert replaced["data"]["replaceExtension"] is True
    updated = await gql(
        client,
        "mutation($o: OwnerInput!) { updateExtensionRecord(owner: $o, "
        'record: {service: {relatedOffers: {offer_name: "a", comments: "c"}}}) }',
        o=owner,
    )
    assert updated["data"]["updateExtensionRecord"] is True
    state = await gql(
        client,
        """mutation($s: Long!) { startState(serviceId: $s,
        input: {stateType: 1, extensions: {Feedback: {FeedbackType: "y", rating: 2}}}) { id: stateId extensions { Feedback { rating } } } }""",
        s=service["id"],
    )
    assert state["data"]["startState"]["extensions"]["Feedback"]["rating"] == 2

    rest = (await client.get(f"/services/{service['id']}?extensions=Feedback,relatedOffers")).json()
    assert rest["Feedback"] == {"FeedbackType": "x", "rating": 1}
    assert rest["relatedOffers"] == [{"offer_name": "a", "type": 0, "comments": "c"}]

    before = await snapshot(app)
    bad = await gql(  # a value the type allows, the domain refuses: too long for the attribute
        client,
        """mutation($c: ID!) { startService(input: {customerId: $c, serviceType: 1,
        extensions: {Feedback: {FeedbackType: "longer than ten", rating: 7}}}) { id: serviceId } }""",
        c=customer_id,
    )
    assert bad["errors"][0]["extensions"]["status"] == 400
    assert "Feedback.FeedbackType" in bad["errors"][0]["message"]
    assert await snapshot(app) == before


class TestBatching:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"refresh_interval": 3600}

    async def test_statement_count_with_extensions_does_not_grow(
        self, app: Starlette, client: httpx.AsyncClient
    ) -> None:
        await new_schema(client, "services", [FEEDBACK, OFFERS])
        await new_schema(client, "states", FEEDBACK)
        await new_schema(client, "tasks", PROPOSAL)
        query = """query($id: ID!) { customer(id: $id) { services {
            extensions { Feedback { rating } relatedOffers { offer_name } }
            states { extensions { Feedback { rating } } tasks { extensions { Proposal { price } } } } } } }"""
        counts = []
        for size in (2, 30):
            customer_id = await new_customer(client)
            for n in range(size):
                sid = await new_service(
                    client,
                    customer_id=customer_id,
                    relatedOffers=[{"offer_name": f"o{n}"}],
                    Feedback={"FeedbackType": "t", "rating": n},
                )
                state_id = await new_state(client, sid, Feedback={"FeedbackType": "t", "rating": n})
                await new_task(client, sid, state_id=state_id, Proposal=[CAR])
            counter = StatementCounter(app.state.runtime.db)
            try:
                body = await gql(client, query, id=customer_id)
            finally:
                counter.close()
            services = body["data"]["customer"]["services"]
            assert [s["extensions"]["Feedback"]["rating"] for s in services] == list(range(size))
            assert all(s["states"][0]["tasks"][0]["extensions"]["Proposal"][0]["price"] == 25000 for s in services)
            counts.append(counter.count)
        # customer, services, states, tasks, and one for every extension record of the tree (the fast
        # path loads them last, together; services and states share the name "Feedback" on purpose), in
        # one snapshot (BEGIN … COMMIT)
        assert counts == [7, 7]


async def test_hot_swap_under_concurrent_queries(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    stop = asyncio.Event()
    answers: list[dict[str, Any]] = []

    async def query_forever() -> None:
        while not stop.is_set():
            answers.append(
                await gql(client, "query($id: ID!) { service(id: $id) { id: serviceId serviceType } }", id=service_id)
            )
            # A client over a socket waits for it; in-process, a query that never has to wait (SQLite's
            # point read, a known query) would otherwise keep the schema writer from ever running.
            await asyncio.sleep(0)

    readers = [asyncio.create_task(query_forever()) for _ in range(8)]
    for n in range(6):
        await new_schema(client, "services", FEEDBACK | {"name": f"Feedback{n}"})
        assert (await client.delete(f"/metadata/services/extensions/Feedback{n - 1}")).status_code in (204, 404)
    stop.set()
    await asyncio.gather(*readers)
    assert len(answers) > 8
    assert all(a == {"data": {"service": {"id": service_id, "serviceType": 100}}} for a in answers)
    body = await gql(
        client, "query($id: ID!) { service(id: $id) { extensions { Feedback5 { rating } } } }", id=service_id
    )
    assert body["data"]["service"]["extensions"] == {"Feedback5": None}
