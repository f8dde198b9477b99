"""GraphQL over GET: a query's answer carries a strong ETag and private caching; If-None-Match gets
304 until something the answer shows changes. POST answers are not cacheable."""

from __future__ import annotations

import httpx
import orjson

from tests.helpers import new_customer, new_service

QUERY = "query($c: ID!) { customer(id: $c) { id services { id serviceType } } }"


async def _get(client: httpx.AsyncClient, customer_id: str, **headers: str) -> httpx.Response:
    variables = orjson.dumps({"c": customer_id}).decode()
    return await client.get("/graphql", params={"query": QUERY, "variables": variables}, headers=headers)


async def test_get_queries_revalidate_until_the_answer_changes(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    first = await _get(client, customer_id)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private"
    assert "Authorization" in first.headers["vary"]
    same = await _get(client, customer_id, **{"If-None-Match": tag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == tag
    assert same.headers["cache-control"] == "private"

    await new_service(client, customer_id=customer_id)  # a new member of a list the answer shows
    changed = await _get(client, customer_id, **{"If-None-Match": tag})
    assert changed.status_code == 200
    assert len(changed.json()["data"]["customer"]["services"]) == 1
    assert changed.headers["etag"] != tag
    assert (await _get(client, customer_id, **{"If-None-Match": "garbage"})).status_code == 200


async def test_post_answers_and_refusals_are_not_cacheable(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    posted = await client.post("/graphql", json={"query": QUERY, "variables": {"c": customer_id}})
    assert posted.status_code == 200
    assert "etag" not in posted.headers
    assert posted.headers.get("cache-control") != "private"
    refused = await client.get("/graphql", params={"query": "{ nope }"})
    assert "etag" not in refused.headers
    assert refused.headers.get("cache-control") != "private"


async def test_a_get_with_variables_or_extensions_that_are_not_json_is_400_naming_the_parameter(
    client: httpx.AsyncClient,
) -> None:
    for name in ("variables", "extensions"):
        response = await client.get("/graphql", params={"query": QUERY, name: "{not json"})
        assert response.status_code == 400, response.text
        assert f"the query parameter '{name}'" in response.text, response.text
        assert "request body" not in response.text
