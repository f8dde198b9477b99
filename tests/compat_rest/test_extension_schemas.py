"""Schema Operations: create, query, delete extension schemas; validation; modes; the metadata index."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.resolvers.store.tables import extension_schema_t
from tests.conftest import snapshot
from tests.helpers import FEEDBACK, OFFERS, PROPOSAL, assert_error, new_schema, new_service


async def test_create_and_query_a_schema_normalised(client: httpx.AsyncClient) -> None:
    response = await client.post("/metadata/services/extensions", json=FEEDBACK)
    assert response.status_code == 201
    assert response.json() == {"name": "Feedback"}
    assert response.headers["location"] == "/metadata/services/extensions/Feedback"
    expected = {
        "name": "Feedback",
        "type": "single-valued",
        "attributes": [
            {
                "name": "FeedbackType",
                "type": "string",
                "length": 10,
                "mandatory": True,
                "encrypt": False,
                "unique": False,
            },
            {"name": "rating", "type": "integer", "length": 0, "mandatory": True, "encrypt": False, "unique": False},
            {"name": "notes", "type": "string", "length": 256, "mandatory": False, "encrypt": False, "unique": False},
        ],
    }
    assert (await client.get("/metadata/services/extensions/feedback")).json() == expected
    assert (await client.get("/genesys/1/cs/metadata/services/extensions")).json() == [expected]
    assert (await client.get("/metadata/states/extensions")).json() == []


async def test_an_array_of_schemas_and_typed_defaults(client: httpx.AsyncClient) -> None:
    response = await client.post("/metadata/tasks/extensions", json=[OFFERS, PROPOSAL])
    assert response.status_code == 201
    assert response.json() == [{"name": "relatedOffers"}, {"name": "Proposal"}]
    offers = (await client.get("/metadata/tasks/extensions/RELATEDOFFERS")).json()
    assert offers["unique"] == ["offer_name"]
    by_name = {a["name"]: a for a in offers["attributes"]}
    assert by_name["type"]["default"] == 0  # given as "0", stored typed
    assert by_name["offer_name"]["unique"] is True
    proposal = (await client.get("/metadata/tasks/extensions/Proposal")).json()
    assert proposal["attributes"][0]["name"] == "car type"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "1Feedback", "type": "single-valued", "attributes": [{"name": "a", "type": "string"}]}, "name"),
        ({"name": "F" * 27, "type": "single-valued", "attributes": [{"name": "a", "type": "string"}]}, "name"),
        ({"name": "Feed-back", "type": "single-valued", "attributes": [{"name": "a", "type": "string"}]}, "name"),
        ({"name": "Select", "type": "single-valued", "attributes": [{"name": "a", "type": "string"}]}, "keyword"),
        ({"name": "F", "type": "classifier", "attributes": []}, "type"),
        ({"name": "F", "type": "double-valued", "attributes": [{"name": "a", "type": "string"}]}, "type"),
        ({"name": "F", "type": "single-valued"}, "attributes"),
        ({"name": "F", "type": "single-valued", "attributes": []}, "attributes"),
        ({"name": "F", "type": "single-valued", "attributes": [{"name": "a" * 31, "type": "string"}]}, "name"),
        ({"name": "F", "type": "single-valued", "attributes": [{"name": "table", "type": "string"}]}, "keyword"),
        ({"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "text"}]}, "type"),
        (
            {"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "string", "length": 5000}]},
            "length",
        ),
        (
            {"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "string", "length": "ten"}]},
            "length",
        ),
        (
            {"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "string", "mandatory": "yes"}]},
            "mandatory",
        ),
        (
            {"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "integer", "default": "x"}]},
            "default",
        ),
        (
            {
                "name": "F",
                "type": "single-valued",
                "attributes": [{"name": "a", "type": "string"}, {"name": "A", "type": "string"}],
            },
            "unique",
        ),
        (
            {"name": "F", "type": "multi-valued", "attributes": [{"name": "a", "type": "string"}], "unique": ["b"]},
            "'b'",
        ),
        ({"name": "F", "type": "single-valued", "attributes": [{"name": "a", "type": "string", "size": 3}]}, "size"),
        ([], "schema"),
    ],
)
async def test_invalid_schemas_are_400_and_write_nothing(
    app: Starlette, client: httpx.AsyncClient, body: Any, fragment: str
) -> None:
    before = await snapshot(app)
    assert_error(await client.post("/metadata/services/extensions", json=body), 400, method="POST", fragment=fragment)
    assert await snapshot(app) == before


async def test_duplicate_names_are_409_and_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", FEEDBACK)
    before = await snapshot(app)
    assert_error(
        await client.post("/metadata/services/extensions", json=FEEDBACK | {"name": "FEEDBACK"}),
        409,
        method="POST",
        fragment="already exists",
    )
    assert_error(await client.post("/metadata/states/extensions", json=[OFFERS, OFFERS]), 409, method="POST")
    assert_error(
        await client.post("/metadata/states/extensions", json=[OFFERS, FEEDBACK | {"name": 7}]), 400, method="POST"
    )
    assert await snapshot(app) == before
    await new_schema(client, "states", FEEDBACK)  # the same name for another kind is fine


async def test_delete_schema_removes_its_records(client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", FEEDBACK)
    record = {"FeedbackType": "survey", "rating": 7}
    service_id = await new_service(client, Feedback=record)
    assert (await client.get(f"/services/{service_id}?extensions=Feedback")).json()["Feedback"]["rating"] == 7

    assert (await client.delete("/metadata/services/extensions/feedback")).status_code == 204
    assert_error(await client.get("/metadata/services/extensions/Feedback"), 404, method="GET")
    assert_error(await client.delete("/metadata/services/extensions/Feedback"), 404, method="DELETE")
    assert_error(await client.get(f"/services/{service_id}?extensions=Feedback"), 400, method="GET")

    await new_schema(client, "services", FEEDBACK)
    assert "Feedback" not in (await client.get(f"/services/{service_id}?extensions=Feedback")).json()


async def test_profile_schemas_change_only_in_maintenance_mode(client: httpx.AsyncClient) -> None:
    phone = {"name": "Phone", "type": "multi-valued", "attributes": [{"name": "PhoneNumber", "type": "string"}]}
    assert_error(
        await client.post("/metadata/profiles/extensions", json=phone), 403, method="POST", fragment="maintenance"
    )
    await client.post("/server/mode", json={"mode": "maintenance"})
    await new_schema(client, "profiles", phone)
    await new_schema(client, "profiles", {"name": "VIP", "type": "classifier"})
    await new_schema(client, "services", FEEDBACK)  # service schemas: in either mode
    await client.post("/server/mode", json={"mode": "production"})
    assert [s["name"] for s in (await client.get("/metadata/profiles/extensions")).json()] == ["Phone", "VIP"]
    assert_error(await client.delete("/metadata/profiles/extensions/Phone"), 403, method="DELETE")
    await new_schema(client, "services", OFFERS)


async def test_metadata_index_in_json_and_html(client: httpx.AsyncClient) -> None:
    links = (await client.get("/metadata", headers={"content-type": "application/json"})).json()
    assert links["Services Extensions"] == "http://testserver/metadata/services/extensions"
    page = await client.get("/genesys/1/cs/metadata", headers={"accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert '<a href="http://testserver/genesys/1/cs/metadata/tasks/extensions">Tasks Extensions</a>' in page.text


async def test_metadata_cache_reload_reads_the_database(app: Starlette, client: httpx.AsyncClient) -> None:
    async with app.state.runtime.db.write() as conn:  # as a tool or another server would, without telling anyone
        await conn.execute(
            sa.insert(extension_schema_t).values(
                owner_kind="service",
                name="Coupon",
                name_key="coupon",
                created_ms=0,
                definition={
                    "name": "Coupon",
                    "type": "single-valued",
                    "attributes": [
                        {"name": "code", "type": "string", "length": 20, "mandatory": False, "encrypt": False}
                    ],
                },
            )
        )
    assert_error(await client.get("/metadata/services/extensions/Coupon"), 404, method="GET")
    assert (await client.put("/metadata/cache", json={"reload": True})).status_code == 200
    assert (await client.get("/metadata/services/extensions/Coupon")).json()["attributes"][0]["name"] == "code"
