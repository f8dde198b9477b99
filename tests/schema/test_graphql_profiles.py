"""GraphQL for the profile operations: identify, update, delete, merge, keys, import, metadata reads."""

from __future__ import annotations

import json

import httpx
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import new_customer, new_service
from tests.schema.test_graphql import gql


async def test_keys_identify_update_merge_delete(app: Starlette, client: httpx.AsyncClient) -> None:
    await gql(client, 'mutation { setServerMode(mode: "maintenance") }')
    created = await gql(client, 'mutation { createIdentificationKey(key: {name: "idLast", attributes: ["LastName"]}) }')
    assert created["data"]["createIdentificationKey"] == {"name": "idLast", "attributes": ["LastName"], "unique": False}
    await gql(client, 'mutation { setServerMode(mode: "production") }')
    keys = await gql(client, "{ identificationKeys }")
    assert [k["name"] for k in keys["data"]["identificationKeys"]] == ["idLast"]

    a = await new_customer(client, FirstName="Ann", LastName="Lee")
    b = await new_customer(client, FirstName="Bo", LastName="Lee")
    found = await gql(client, '{ identify(attributes: {LastName: "Lee"}) { id: customerId attributes } }')
    assert sorted(c["id"] for c in found["data"]["identify"]) == sorted([a, b])

    updated = await gql(
        client,
        'mutation($c: ID!) { updateProfile(customerId: $c, attributes: {FirstName: "Ann", LastName: "Kim"}) { attributes } }',
        c=a,
    )
    assert updated["data"]["updateProfile"]["attributes"] == {"FirstName": "Ann", "LastName": "Kim"}
    assert [
        c["id"]
        for c in (await gql(client, '{ identify(attributes: {LastName: "Kim"}) { id: customerId } }'))["data"][
            "identify"
        ]
    ] == [a]

    service_id = await new_service(client, customer_id=b)
    merged = await gql(
        client,
        "mutation($a: ID!, $b: ID!) { mergeProfiles(customerId: $a, sourceId: $b) { id: customerId attributes services { id: serviceId } } }",
        a=a,
        b=b,
    )
    customer = merged["data"]["mergeProfiles"]
    assert customer["attributes"]["FirstName"] == ["Ann", "Bo"]
    assert [s["id"] for s in customer["services"]] == [service_id]

    deleted = await gql(client, "mutation($a: ID!) { deleteProfile(customerId: $a) }", a=a)
    assert deleted["data"]["deleteProfile"] is True
    assert (await snapshot(app))["customer"] == []
    missing = await gql(client, "mutation($a: ID!) { deleteProfile(customerId: $a) }", a=a)
    assert missing["errors"][0]["extensions"]["status"] == 404


async def test_metadata_reads(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ profileSchema roles businessAttributes(name: "MediaType") }')
    data = body["data"]
    assert any(a["name"] == "FirstName" for a in data["profileSchema"])
    assert data["businessAttributes"]["name"] == "MediaType"
    assert "UCS.Service.startService" in {t["name"] for t in data["roles"][0]["tasks"]}


async def test_import_profiles_by_multipart_upload(app: Starlette, client: httpx.AsyncClient) -> None:
    await gql(client, 'mutation { setServerMode(mode: "maintenance") }')
    operations = {
        "query": "mutation($csv: Upload!) { importProfiles(csv: $csv, description: {}) }",
        "variables": {"csv": None},
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.csv"]})},
        files={"0": ("p.csv", b"FirstName,LastName\r\nAda,Lovelace\r\nGrace,Hopper\r\n", "text/csv")},
    )
    assert response.status_code == 200, response.text
    report = response.json()["data"]["importProfiles"]
    assert report["imported"] == 2
    assert len((await snapshot(app))["customer"]) == 2
