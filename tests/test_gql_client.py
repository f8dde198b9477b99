"""The Python `gql` client integrators script with, against a real server: queries and mutations
over HTTP (checked against the schema it fetches by introspection), and a subscription over
graphql-transport-ws that receives an event caused by a REST write, then resumes with `after`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from graphql import GraphQLError

from tests.servers import AUTH, free_port, wait_ready

JOURNEY = """subscription($c: ID!, $after: Long) {
    journey(customerId: $c, after: $after) { kind action serviceId customerId stateId sequence } }"""


@pytest.fixture
def server(serve, database_url: str) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, serve("--port", str(port), "--database", database_url))
    return url


def _http(url: str) -> Client:
    return Client(transport=HTTPXAsyncTransport(url=f"{url}/graphql", headers=AUTH), fetch_schema_from_transport=True)


def _websocket(url: str) -> Client:
    transport = WebsocketsTransport(
        url=url.replace("http", "ws") + "/graphql",
        init_payload=AUTH,  # browsers and gql alike name the key in connection_init
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
    )
    return Client(transport=transport)


async def test_gql_queries_and_mutates_over_http(server: str) -> None:
    async with _http(server) as session:
        created = await session.execute(
            GraphQLRequest('mutation { createProfile(attributes: {FirstName: "Grace"}) { customerId } }')
        )
        customer = created["createProfile"]["customerId"]
        started = await session.execute(
            GraphQLRequest(
                'mutation($c: ID!) { startService(input: {customerId: $c, serviceType: "Wireless"}) { serviceId } }',
                variable_values={"c": customer},
            )
        )
        read = await session.execute(
            GraphQLRequest(
                "query($c: ID!) { customer(id: $c) { customerId services { serviceId active } } }",
                variable_values={"c": customer},
            )
        )
        assert read["customer"] == {
            "customerId": customer,
            "services": [{"serviceId": started["startService"]["serviceId"], "active": True}],
        }
        # gql checks a document against the schema it fetched: a field that is not there never leaves.
        with pytest.raises(GraphQLError, match="Cannot query field 'nope'"):
            await session.execute(GraphQLRequest("{ serverStatus nope }"))
        # The server's own refusals reach the caller as gql's error, with our code and status.
        with pytest.raises(TransportQueryError) as refused:
            await session.execute(GraphQLRequest('mutation { startService(input: {serviceType: "x"}) { serviceId } }'))
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["status"] == 400


async def _next_event(subscription: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await asyncio.wait_for(anext(subscription), 5))["journey"]
    return result


async def test_gql_subscription_receives_an_event_caused_over_rest_and_resumes(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, headers=AUTH, timeout=10) as http:
        customer = (await http.post("/profiles", json={"FirstName": "Ada"})).json()["customer_id"]
        service = (await http.post("/services/start", json={"service_type": 1, "customer_id": customer})).json()[
            "service_id"
        ]
        async with _websocket(server) as session:
            subscription = session.subscribe(GraphQLRequest(JOURNEY, variable_values={"c": customer}))
            first = asyncio.ensure_future(_next_event(subscription))
            await asyncio.sleep(0.5)  # the protocol does not acknowledge a subscription
            state = (await http.post(f"/services/{service}/states/start", json={"state_type": 1})).json()["state_id"]
            event = await first
            await subscription.aclose()
        assert event | {"sequence": None} == {
            "kind": "state",
            "action": "started",
            "serviceId": service,
            "customerId": customer,
            "stateId": state,
            "sequence": None,
        }
        await http.post(f"/services/{service}/states/{state}/end", json={})  # while no one listens
        async with _websocket(server) as session:
            request = GraphQLRequest(JOURNEY, variable_values={"c": customer, "after": event["sequence"]})
            subscription = session.subscribe(request)
            missed = await _next_event(subscription)
            await subscription.aclose()
    assert (missed["action"], missed["stateId"], missed["sequence"] > event["sequence"]) == ("completed", state, True)
