"""Update, delete and merge customer profiles (spec/004 "Profile Operations")."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import FEEDBACK, assert_error, new_customer, new_schema, new_service, new_state, new_task

PHONE = {
    "name": "Phone",
    "type": "multi-valued",
    "unique": ["PhoneNumber"],
    "attributes": [{"name": "PhoneNumber", "type": "string"}, {"name": "label", "type": "string"}],
}
ADDRESS = {"name": "Address", "type": "single-valued", "attributes": [{"name": "City", "type": "string"}]}


async def _profile_schemas(client: httpx.AsyncClient) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    await new_schema(client, "profiles", [PHONE, ADDRESS])
    await client.post("/server/mode", json={"mode": "production"})


async def test_update_replaces_attributes_and_only_given_extensions(client: httpx.AsyncClient) -> None:
    await _profile_schemas(client)
    customer_id = await new_customer(
        client, FirstName="Bruce", LastName="Banner", Address={"City": "Dayton"}, Phone=[{"PhoneNumber": "1"}]
    )
    body = {"customer_id": customer_id, "FirstName": "Bruce", "EmailAddress": ["b@x.org"], "Address": {"City": "Paris"}}
    response = await client.put(f"/profiles/{customer_id}", json=body)
    assert response.status_code == 200
    assert response.json() == []
    profile = (await client.get(f"/profiles/{customer_id}?extensions=Address,Phone")).json()
    assert profile == {
        "customer_id": customer_id,
        "FirstName": "Bruce",
        "EmailAddress": ["b@x.org"],
        "Address": {"City": "Paris"},
        "Phone": [{"PhoneNumber": "1"}],
    }


async def test_update_errors_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    before = await snapshot(app)
    assert_error(await client.put("/profiles/0000000000000000", json={"FirstName": "A"}), 404, method="PUT")
    assert_error(await client.put(f"/profiles/{customer_id}", json={"FirstName": 1}), 400, method="PUT")
    assert_error(await client.put(f"/profiles/{customer_id}", json={"customer_id": "other"}), 400, method="PUT")
    assert await snapshot(app) == before


async def test_delete_removes_the_profile_and_its_services(app: Starlette, client: httpx.AsyncClient) -> None:
    await _profile_schemas(client)
    for word in ("services", "states", "tasks"):
        await new_schema(client, word, FEEDBACK)
    feedback = {"FeedbackType": "a", "rating": 1}
    keep = await new_customer(client)
    kept_service = await new_service(client, customer_id=keep, Feedback=feedback)
    gone = await new_customer(client, Phone=[{"PhoneNumber": "1"}])
    service_id = await new_service(client, customer_id=gone, Feedback=feedback)
    state_id = await new_state(client, service_id, Feedback=feedback)
    await new_task(client, service_id, state_id=state_id, Feedback=feedback)
    anonymous = await new_service(client)

    assert (await client.delete(f"/profiles/{gone}")).status_code == 200
    assert_error(await client.get(f"/profiles/{gone}"), 404, method="GET")
    assert_error(await client.get(f"/services/{service_id}"), 404, method="GET")
    assert_error(await client.delete(f"/profiles/{gone}"), 404, method="DELETE")
    contents = await snapshot(app)
    assert len(contents["extension_record"]) == 1  # only the kept customer's service record is left
    assert len(contents["state"]) == 0
    assert len(contents["task"]) == 0
    assert len(contents["service"]) == 2  # the kept customer's and the anonymous one
    assert (await client.get(f"/services/{kept_service}")).status_code == 200
    assert (await client.get(f"/services/{anonymous}")).status_code == 200


async def test_merge_moves_everything_and_deletes_the_source(client: httpx.AsyncClient) -> None:
    await _profile_schemas(client)
    dst = await new_customer(
        client,
        FirstName="Bruce",
        EmailAddress=["b@x.org"],
        Address={"City": "Dayton"},
        Phone=[{"PhoneNumber": "1", "label": "home"}],
    )
    src = await new_customer(
        client,
        FirstName="Hulk",
        EmailAddress=["b@x.org", "h@x.org"],
        Title="Dr",
        Address={"City": "Paris"},
        Phone=[{"PhoneNumber": "1", "label": "work"}, {"PhoneNumber": "2"}],
    )
    active = await new_service(client, customer_id=src)
    done = await new_service(client, customer_id=src)
    await client.post(f"/services/{done}/end")

    response = await client.put(f"/profiles/{dst}/merge/{src}", json={"keep_uniq_from_src": False})
    assert response.status_code == 204
    assert_error(await client.get(f"/profiles/{src}"), 404, method="GET")
    profile = (await client.get(f"/profiles/{dst}?extensions=Address,Phone")).json()
    assert profile["FirstName"] == ["Bruce", "Hulk"]  # the destination's value stays primary
    assert profile["EmailAddress"] == ["b@x.org", "h@x.org"]  # duplicates discarded
    assert profile["Title"] == "Dr"
    assert profile["Address"] == {"City": "Dayton"}
    assert profile["Phone"] == [{"PhoneNumber": "1", "label": "home"}, {"PhoneNumber": "2"}]
    services = [s["service_id"] for s in (await client.get(f"/customers/{dst}/services")).json()]
    assert services == [active, done]


async def test_merge_keeping_source_values_and_active_services_only(client: httpx.AsyncClient) -> None:
    await _profile_schemas(client)
    dst = await new_customer(
        client, FirstName="Bruce", Address={"City": "Dayton"}, Phone=[{"PhoneNumber": "1", "label": "home"}]
    )
    src = await new_customer(
        client, FirstName="Hulk", Address={"City": "Paris"}, Phone=[{"PhoneNumber": "1", "label": "work"}]
    )
    active = await new_service(client, customer_id=src)
    done = await new_service(client, customer_id=src)
    await client.post(f"/services/{done}/end")
    body = {"keep_uniq_from_src": True, "keep_active_service_only": True}
    assert (await client.put(f"/profiles/{dst}/merge/{src}", json=body)).status_code == 204
    profile = (await client.get(f"/profiles/{dst}?extensions=Address,Phone")).json()
    assert profile["FirstName"] == ["Hulk", "Bruce"]
    assert profile["Address"] == {"City": "Paris"}
    assert profile["Phone"] == [{"PhoneNumber": "1", "label": "work"}]
    assert [s["service_id"] for s in (await client.get(f"/customers/{dst}/services")).json()] == [active]
    assert_error(await client.get(f"/services/{done}"), 404, method="GET")


async def test_failed_merges_change_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    a, b = await new_customer(client), await new_customer(client)
    before = await snapshot(app)
    assert_error(await client.put(f"/profiles/{a}/merge/0000000000000000"), 404, method="PUT")
    assert_error(await client.put(f"/profiles/{a}/merge/{a}"), 400, method="PUT")
    assert_error(await client.put(f"/profiles/{a}/merge/{b}", json={"keep_uniq_from_src": "maybe"}), 400, method="PUT")
    assert_error(await client.put(f"/profiles/{a}/merge/{b}", json={"keep_everything": True}), 400, method="PUT")
    assert await snapshot(app) == before
