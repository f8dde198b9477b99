"""Customer ids are `ID` wherever GraphQL takes or gives one, so a client declares one `$c: ID!`
and passes it to every field that names a customer."""

from __future__ import annotations

import httpx

from tests.helpers import FEEDBACK, new_customer, new_schema, new_service
from tests.schema.test_graphql import gql


async def test_one_id_variable_serves_customer_start_service_and_associate(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    anonymous = await new_service(client)
    body = await gql(
        client,
        """mutation Desk($c: ID!, $s: Long!) {
          started: startService(input: {customerId: $c, serviceType: 7}) { id: serviceId customerId }
          associated: associateService(customerId: $c, serviceId: $s) { id: serviceId customerId }
          updated: updateProfile(customerId: $c, attributes: {FirstName: "Ann"}) { id: customerId } }""",
        c=customer_id,
        s=anonymous,
    )
    assert "errors" not in body, body
    assert body["data"]["started"]["customerId"] == customer_id
    assert body["data"]["associated"] == {"id": anonymous, "customerId": customer_id}
    tree = await gql(
        client,
        "query($c: ID!) { customer(id: $c) { id: customerId services { id: serviceId customerId } } }",
        c=customer_id,
    )
    assert "errors" not in tree, tree
    assert {s["customerId"] for s in tree["data"]["customer"]["services"]} == {customer_id}


async def test_customer_ids_are_typed_id_in_the_schema(client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", FEEDBACK)  # OwnerInput is in the graph while some extension is

    def type_name(ref: dict) -> str:  # type: ignore[type-arg]
        while ref["ofType"] is not None:
            ref = ref["ofType"]
        return str(ref["name"])

    ref = "type { name ofType { name ofType { name } } }"
    body = await gql(
        client,
        f"""{{ mutation: __type(name: "Mutation") {{ fields {{ name args {{ name {ref} }} }} }}
          subscription: __type(name: "Subscription") {{ fields {{ name args {{ name {ref} }} }} }}
          start: __type(name: "ServiceStartInput") {{ inputFields {{ name {ref} }} }}
          owner: __type(name: "OwnerInput") {{ inputFields {{ name {ref} }} }}
          service: __type(name: "Service") {{ fields {{ name {ref} }} }}
          interaction: __type(name: "Interaction") {{ fields {{ name {ref} }} }}
          event: __type(name: "JourneyEvent") {{ fields {{ name {ref} }} }} }}""",
    )
    data = body["data"]
    named = [
        (f"{field['name']}({arg['name']})", type_name(arg["type"]))
        for root in ("mutation", "subscription")
        for field in data[root]["fields"]
        for arg in field["args"]
        if arg["name"] in ("customerId", "sourceId")
    ]
    named += [
        (f"{kind}.{f['name']}", type_name(f["type"]))
        for kind in ("start", "owner", "service", "interaction", "event")
        for f in data[kind].get("inputFields") or data[kind]["fields"]
        if f["name"] == "customerId"
    ]
    assert len(named) >= 10, named
    assert {t for _, t in named} == {"ID"}, named
