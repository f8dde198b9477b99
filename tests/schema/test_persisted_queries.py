"""Apollo's automatic persisted queries through the real endpoint, on both databases: a hash alone
is `PersistedQueryNotFound` (as Apollo's link expects it) until the text is sent with its hash; then
the hash alone runs it, over POST and GET; a hash that is not the text's is refused and writes
nothing; a mutation over GET stays refused; the store is keyed by hash and bounded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import new_customer

QUERY = "query Who($id: ID!) { customer(id: $id) { id: customerId attributes } }"
START = 'mutation { startService(input: {serviceType: 7, customerId: "%s"}) { id: serviceId } }'


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


def get_params(extensions: dict[str, Any], **more: Any) -> dict[str, str]:
    params = {"extensions": json.dumps(extensions)}
    params |= {key: json.dumps(value) if isinstance(value, dict) else value for key, value in more.items()}
    return params


async def test_a_hash_alone_is_not_found_then_runs_once_registered(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client, FirstName="Ada")
    variables = {"id": customer}
    unknown = await client.post("/graphql", json={"variables": variables, "extensions": persisted(QUERY)})
    assert unknown.status_code == 200
    [error] = unknown.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["data"] is None

    registered = await client.post(
        "/graphql", json={"query": QUERY, "variables": variables, "extensions": persisted(QUERY)}
    )
    assert registered.json() == {"data": {"customer": {"id": customer, "attributes": {"FirstName": "Ada"}}}}

    again = await client.post("/graphql", json={"variables": variables, "extensions": persisted(QUERY)})
    assert again.json() == registered.json()
    by_get = await client.get("/graphql", params=get_params(persisted(QUERY), variables=variables))
    assert by_get.status_code == 200
    assert by_get.json() == registered.json()


async def test_persisted_queries_over_get_register_and_run(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client, FirstName="Grace")
    params = get_params(persisted(QUERY), variables={"id": customer})
    first = await client.get("/graphql", params=params)
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.get("/graphql", params={**params, "query": QUERY})
    assert registered.json()["data"]["customer"]["id"] == customer
    assert (await client.get("/graphql", params=params)).json() == registered.json()


async def test_graphql_response_clients_get_a_4xx_they_still_retry_on(client: httpx.AsyncClient) -> None:
    accept = {"accept": "application/graphql-response+json"}
    answer = await client.post("/graphql", json={"extensions": persisted("{ __typename }")}, headers=accept)
    assert answer.status_code == 400  # not executed: graphql-over-http's 4xx, the body Apollo's link reads
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_that_is_not_the_texts_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    customer = await new_customer(client)
    before = await snapshot(app)
    mutation = START % customer
    other = {"persistedQuery": {"version": 1, "sha256Hash": sha(mutation + " ")}}
    answer = await client.post("/graphql", json={"query": mutation, "extensions": other})
    [error] = answer.json()["errors"]
    assert "provided sha does not match query" in error["message"]
    assert error["extensions"]["code"] == 4020
    assert await snapshot(app) == before
    # and the hash it claimed did not become that text
    claimed = await client.post("/graphql", json={"extensions": other})
    assert claimed.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}},
        {"persistedQuery": {"version": 1, "sha256Hash": 5}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "abc"},
        {"persistedQuery": {"version": 1, "sha256Hash": "0" * 63 + "\u0660"}},  # an Arabic-Indic zero
    ],
)
async def test_malformed_persisted_queries_are_graphql_errors(
    client: httpx.AsyncClient, extensions: dict[str, Any]
) -> None:
    answer = await client.post("/graphql", json={"query": "{ __typename }", "extensions": extensions})
    assert answer.status_code == 200
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == 4020
    assert "persistedQuery" in error["message"]


async def test_a_persisted_mutation_is_refused_over_get_and_writes_nothing(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    customer = await new_customer(client)
    mutation = START % customer
    before = await snapshot(app)
    over_get = await client.get("/graphql", params={**get_params(persisted(mutation)), "query": mutation})
    assert over_get.status_code in (400, 405)
    assert await snapshot(app) == before
    posted = await client.post("/graphql", json={"query": mutation, "extensions": persisted(mutation)})
    assert posted.json()["data"]["startService"]["id"]
    hash_only = await client.get("/graphql", params=get_params(persisted(mutation)))
    assert hash_only.status_code in (400, 405)  # registered by POST, still no mutation over GET
    after = await snapshot(app)
    assert len(after["service"]) == len(before["service"]) + 1


async def test_the_store_is_keyed_by_hash_and_bounded(client: httpx.AsyncClient, app: Starlette) -> None:
    documents = app.router.routes[0].endpoint.schema.documents  # type: ignore[attr-defined]
    for number in range(documents.held.entries + 20):
        text = f"query Q{number} {{ __typename }}"
        answer = await client.post("/graphql", json={"query": text, "extensions": persisted(text)})
        assert answer.json() == {"data": {"__typename": "Query"}}
    assert len(documents.held) == documents.held.entries
    oldest = "query Q0 { __typename }"
    assert documents.known(sha(oldest)) is None  # the least recently used went first
    forgotten = await client.post("/graphql", json={"extensions": persisted(oldest)})
    assert forgotten.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    newest = f"query Q{documents.held.entries + 19} {{ __typename }}"
    assert (await client.post("/graphql", json={"extensions": persisted(newest)})).json()["data"]
