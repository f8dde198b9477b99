"""Profiles, the part services need: create, query, the configured attribute schema."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer


async def test_create_profile_makes_a_16_character_id(client: httpx.AsyncClient) -> None:
    body = {
        "FirstName": "Bruce",
        "LastName": "Banner",
        "EmailAddress": ["bruce.banner@marvelous.com", "b.banner@hulk.dom"],
    }
    response = await client.post("/profiles/", json=body)
    assert response.status_code == 201
    customer_id = response.json()["customer_id"]
    assert len(customer_id) == 16
    assert customer_id.isalnum()
    assert response.headers["location"] == f"/profiles/{customer_id}"
    profile = (await client.get(f"/profiles/{customer_id}")).json()
    assert profile == {"customer_id": customer_id, **body}
    assert profile["EmailAddress"][0] == "bruce.banner@marvelous.com"  # the primary value stays first


async def test_attribute_names_are_case_insensitive_and_datetimes_normalised(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client, firstname="Ada", lastcalledagent_timestamp="1981-03-17T02:00:00Z")
    profile = (await client.get(f"/profiles/{customer_id}")).json()
    assert profile["FirstName"] == "Ada"
    assert profile["LastCalledAgent_TimeStamp"] == "1981-03-17T02:00:00.000Z"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"FirstName": 42}, "FirstName"),
        ({"FirstName": "x" * 257}, "FirstName"),
        ({"FirstName": []}, "FirstName"),
        ({"LastCalledAgent_TimeStamp": "soon"}, "LastCalledAgent_TimeStamp"),
        ({"FirstName": "Select"}, "'Select' keyword is not authorized"),
        ({"EmailAddress": ["a@b.c", "NULL"]}, "keyword is not authorized"),
        ({"customer_id": "0004Va58A92T0017"}, "customer_id"),
        ({"Phone": [{"PhoneNumber": "3145926535"}]}, "Phone"),
    ],
)
async def test_bad_profiles_are_400_and_write_nothing(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    assert_error(await client.post("/profiles", json=body), 400, method="POST", fragment=fragment)
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_reserved_words_inside_values_are_fine(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client, LastName="Select Comfort", FirstName="Orderly")
    assert (await client.get(f"/profiles/{customer_id}")).json()["FirstName"] == "Orderly"


async def test_unknown_profile_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/profiles/0000000000000000"), 404, method="GET", fragment="customer")


async def test_profile_schema_lists_the_documented_defaults(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/metadata/profiles/")).json()
    by_name = {a["name"]: a for a in schema}
    assert by_name["FirstName"] == {
        "name": "FirstName",
        "type": "string",
        "length": 256,
        "encrypt": False,
        "mandatory": False,
    }
    assert by_name["LCA_TimeStamp_voice"]["type"] == "datetime"
    assert {"EmailAddress", "PhoneNumber", "PIN", "Pref_EmplID_chat"} <= set(by_name)
