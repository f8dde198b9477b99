"""Service Operations over REST: start, associate, complete, query by id (spec/004)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer, new_service, new_state, new_task

PREFIXES = ["", "/genesys/1/cs"]


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_start_service_answers_201_with_id_and_location(client: httpx.AsyncClient, prefix: str) -> None:
    body = {
        "timestamp": "2009-05-12T12:05:12.145Z",
        "interaction_id": "123ABCAADFJ1259ACF",
        "application_type": 400,
        "application_id": 40,
        "est_duration": 60,
        "contact_key": "42",
        "service_type": 100,
        "media_type": 1,
        "resource_id": 5005,
        "resource_type": 2,
    }
    response = await client.post(f"{prefix}/services/start", json=body)
    assert response.status_code == 201
    service_id = response.json()["service_id"]
    assert isinstance(service_id, int)
    assert response.headers["location"] == f"{prefix}/services/{service_id}"

    service = (await client.get(f"{prefix}/services/{service_id}")).json()
    assert service == {
        "service_id": service_id,
        "service_type": 100,
        "contact_key": "42",
        "est_duration": 60,
        "started": {
            "timestamp": "2009-05-12T12:05:12.145Z",
            "interaction_id": "123ABCAADFJ1259ACF",
            "application_type": 400,
            "application_id": 40,
            "media_type": 1,
            "resource_id": 5005,
            "resource_type": 2,
        },
    }


async def test_long_or_string_fields_round_trip_as_given(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, service_type="MyService1", media_type="voice", application_type="App_type_1")
    service = (await client.get(f"/services/{service_id}")).json()
    assert service["service_type"] == "MyService1"
    assert service["started"]["media_type"] == "voice"
    assert service["started"]["application_type"] == "App_type_1"


async def test_missing_timestamp_is_set_by_the_server_in_the_documented_format(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    stamp = (await client.get(f"/services/{service_id}")).json()["started"]["timestamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)


async def test_timestamp_without_zone_is_utc_and_offsets_are_converted(client: httpx.AsyncClient) -> None:
    a = await new_service(client, timestamp="2009-05-07T12:05:20.157")
    b = await new_service(client, timestamp="2009-05-07T14:05:20.157+02:00")
    for service_id in (a, b):
        started = (await client.get(f"/services/{service_id}")).json()["started"]
        assert started["timestamp"] == "2009-05-07T12:05:20.157Z"


async def test_ids_are_allocated_by_the_database_and_increase(client: httpx.AsyncClient) -> None:
    ids = [await new_service(client) for _ in range(3)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"contact_key": "42"}, "service_type"),
        ({"service_type": 100}, "contact_key"),
        ({"service_type": 100, "contact_key": "42", "application_id": "forty"}, "application_id"),
        ({"service_type": 1.5, "contact_key": "42"}, "service_type"),
        ({"service_type": True, "contact_key": "42"}, "service_type"),
        ({"service_type": 100, "contact_key": "42", "timestamp": "yesterday"}, "timestamp"),
        ({"service_type": 100, "contact_key": "42", "est_duration": -5}, "est_duration"),
        ({"service_type": 100, "contact_key": "42", "session_id": "x" * 33}, "session_id"),
        ({"service_type": 100, "contact_key": "42", "Feedback": {"rating": 7}}, "Feedback"),
    ],
)
async def test_start_service_rejects_bad_bodies_and_writes_nothing(
    client: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post("/services/start", json=body)
    assert_error(response, 400, method="POST", fragment=fragment)
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_start_service_for_unknown_customer_is_404_and_writes_nothing(client: httpx.AsyncClient) -> None:
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post("/services/start", json={"service_type": 1, "customer_id": "0000000000000000"})
    assert_error(response, 404, method="POST", fragment="customer")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_start_service_for_customer(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id, contact_key=None)
    service = (await client.get(f"/services/{service_id}")).json()
    assert service["customer_id"] == customer_id
    assert "contact_key" not in service


async def test_associate_moves_service_between_customers(client: httpx.AsyncClient) -> None:
    first, second = await new_customer(client), await new_customer(client)
    service_id = await new_service(client, contact_key="bob")
    assert (await client.get("/services/anonymous/bob")).json()[0]["service_id"] == service_id

    response = await client.post(f"/customers/{first}/services/{service_id}")
    assert response.status_code == 200
    assert [s["service_id"] for s in (await client.get(f"/customers/{first}/services")).json()] == [service_id]
    assert (await client.get("/services/anonymous/bob")).json() == []

    body = {"interaction_id": "123ABCAADFJ1259ACF", "media_type": 1, "resource_id": 5005, "service_type": "VIP"}
    response = await client.post(f"/customers/{second}/services/{service_id}", json=body)
    assert response.status_code == 200
    assert (await client.get(f"/customers/{first}/services")).json() == []
    service = (await client.get(f"/customers/{second}/services")).json()[0]
    assert service["customer_id"] == second
    assert service["service_type"] == "VIP"
    assert service["started"]["interaction_id"] == "123ABCAADFJ1259ACF"
    assert service["started"]["resource_id"] == 5005


async def test_associate_accepts_an_empty_body(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client)
    response = await client.post(
        f"/customers/{customer_id}/services/{service_id}", content=b"", headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert (await client.get(f"/services/{service_id}")).json()["customer_id"] == customer_id


async def test_associate_with_unknown_customer_or_service_is_404(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client)
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    assert_error(
        await client.post(f"/customers/XXXXXXXXXXXXXXXX/services/{service_id}"), 404, method="POST", fragment="customer"
    )
    assert_error(await client.post(f"/customers/{customer_id}/services/999999"), 404, method="POST", fragment="service")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_complete_service_sets_duration_disposition_and_end_event(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, timestamp="2010-06-03T08:49:53.053Z")
    body = {
        "timestamp": "2010-06-03T08:51:15.990Z",
        "interaction_id": "587",
        "disposition": 10,
        "disposition_desc": "SUCCESS",
    }
    response = await client.post(f"/services/{service_id}/end", json=body)
    assert response.status_code == 204
    service = (await client.get(f"/services/{service_id}")).json()
    assert service["duration"] == 82_937
    assert service["disposition"] == 10
    assert service["disposition_desc"] == "SUCCESS"
    assert service["completed"] == {"timestamp": "2010-06-03T08:51:15.990Z", "interaction_id": "587"}


@pytest.mark.parametrize("body", [None, b"", b"  "])
async def test_complete_service_without_body(client: httpx.AsyncClient, body: bytes | None) -> None:
    service_id = await new_service(client)
    response = await client.post(f"/services/{service_id}/end", content=body)
    assert response.status_code == 204
    assert "completed" in (await client.get(f"/services/{service_id}")).json()


async def test_completing_twice_is_409_and_keeps_the_first_end(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    await client.post(f"/services/{service_id}/end", json={"disposition": 1})
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/end", json={"disposition": 2})
    assert_error(response, 409, method="POST", fragment="already completed")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_an_end_before_the_start_is_recorded_as_sent(client: httpx.AsyncClient) -> None:
    """A client's clock behind the server's: the end is kept as sent, its duration is 0."""
    service_id = await new_service(client, timestamp="2010-06-03T08:49:53.053Z")
    response = await client.post(f"/services/{service_id}/end", json={"timestamp": "2010-06-03T08:00:00.000Z"})
    assert response.status_code == 204, response.text
    service = (await client.get(f"/services/{service_id}")).json()
    assert (service["completed"]["timestamp"], service["duration"]) == ("2010-06-03T08:00:00.000Z", 0)


async def test_query_service_by_id_with_nested_states_and_tasks(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    active_state = await new_state(client, service_id, state_type=100)
    done_state = await new_state(client, service_id, state_type=200)
    await client.post(f"/services/{service_id}/states/{done_state}/end", json={"disposition": 5})
    active_task = await new_task(client, service_id, state_id=active_state)
    done_task = await new_task(client, service_id)
    await client.post(f"/services/{service_id}/tasks/{done_task}/end", json={})

    plain = (await client.get(f"/services/{service_id}")).json()
    assert not {"active_states", "completed_states", "active_tasks", "completed_tasks"} & set(plain)

    query = "active_states=true&completed_states=true&active_tasks=true&completed_tasks=true"
    full = (await client.get(f"/services/{service_id}?{query}")).json()
    assert [s["state_id"] for s in full["active_states"]] == [active_state]
    assert [s["state_id"] for s in full["completed_states"]] == [done_state]
    assert full["completed_states"][0]["disposition"] == 5
    assert [t["task_id"] for t in full["active_tasks"]] == [active_task]
    assert full["active_tasks"][0]["state_id"] == active_state
    assert [t["task_id"] for t in full["completed_tasks"]] == [done_task]

    only_active = (await client.get(f"/services/{service_id}?active_states=true")).json()
    assert "completed_states" not in only_active
    assert len(only_active["active_states"]) == 1


async def test_unknown_service_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/services/123456789"), 404, method="GET", fragment="service")
    assert_error(await client.get(f"/services/{2**70}"), 404, method="GET", fragment="service")


async def test_bad_boolean_parameter_is_400(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    assert_error(
        await client.get(f"/services/{service_id}?active_states=yes"), 400, method="GET", fragment="active_states"
    )


async def test_undefined_extension_in_query_is_400(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    assert_error(
        await client.get(f"/services/{service_id}?extensions=Feedback"), 400, method="GET", fragment="Feedback"
    )


async def test_an_estimated_duration_beyond_32_bits_is_400(client: httpx.AsyncClient) -> None:
    """It is stored in a 32-bit column: PostgreSQL answered 500 to 2^31 (found by test_hostile_values)."""
    refused = await client.post("/services/start", json={"service_type": 1, "contact_key": "k", "est_duration": 2**31})
    assert_error(refused, 400, method="POST", fragment="est_duration")
    service_id = await new_service(client, est_duration=2**31 - 1)
    state = await client.post(f"/services/{service_id}/states/start", json={"state_type": 1, "est_duration": 2**31})
    assert_error(state, 400, method="POST", fragment="est_duration")
    assert (await client.get(f"/services/{service_id}")).json()["est_duration"] == 2**31 - 1
