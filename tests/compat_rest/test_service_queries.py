"""Query Services: anonymous services by contact key and customer services, with every filter."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import assert_error, new_customer, new_service, new_state, new_task


@pytest.fixture
async def history(client: httpx.AsyncClient) -> dict[str, object]:
    """A customer with three services (one completed) and an anonymous service of its own."""
    customer_id = await new_customer(client)
    old = await new_service(client, customer_id=customer_id, service_type=100, timestamp="2020-01-01T10:00:00Z")
    await client.post(f"/services/{old}/end", json={"timestamp": "2020-01-02T10:00:00Z"})
    mid = await new_service(client, customer_id=customer_id, service_type="Wireless", timestamp="2021-06-01T10:00:00Z")
    new = await new_service(client, customer_id=customer_id, service_type=300, timestamp="2022-03-01T10:00:00Z")
    other = await new_service(client, customer_id=await new_customer(client), service_type=100)
    return {"customer": customer_id, "old": old, "mid": mid, "new": new, "other": other}


async def _ids(client: httpx.AsyncClient, path: str) -> list[int]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return [s["service_id"] for s in response.json()]


async def test_customer_services_all_active_completed(client: httpx.AsyncClient, history: dict[str, object]) -> None:
    base = f"/customers/{history['customer']}/services"
    assert await _ids(client, base) == [history["old"], history["mid"], history["new"]]
    assert await _ids(client, f"{base}/active") == [history["mid"], history["new"]]
    assert await _ids(client, f"/genesys/1/cs{base}/completed") == [history["old"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service_type=100", ["old"]),
        ("service_type=100,Wireless", ["old", "mid"]),
        ("service_types=300", ["new"]),
        ("started_from=2021-01-01T00:00:00.000Z", ["mid", "new"]),
        ("started_to=2021-06-01T10:00:00.000Z", ["old"]),
        ("started_from=2021-01-01T00:00:00Z&started_to=2022-01-01T00:00:00Z", ["mid"]),
        ("completed_from=2020-01-02T00:00:00Z", ["old"]),
        ("completed_to=2020-01-02T00:00:00Z", []),
    ],
)
async def test_customer_service_filters(
    client: httpx.AsyncClient, history: dict[str, object], query: str, expected: list[str]
) -> None:
    ids = await _ids(client, f"/customers/{history['customer']}/services?{query}")
    assert ids == [history[name] for name in expected]


async def test_bad_filter_values_are_400(client: httpx.AsyncClient, history: dict[str, object]) -> None:
    base = f"/customers/{history['customer']}/services"
    assert_error(await client.get(f"{base}?started_from=last-week"), 400, method="GET", fragment="started_from")
    assert_error(await client.get(f"{base}/active?active_tasks=maybe"), 400, method="GET", fragment="active_tasks")


async def test_unknown_customer_services_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/customers/nobody/services"), 404, method="GET", fragment="customer")


async def test_customer_services_with_nested_states_and_tasks(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    services = [await new_service(client, customer_id=customer_id) for _ in range(3)]
    states = {s: await new_state(client, s) for s in services}
    tasks = {s: await new_task(client, s, state_id=states[s]) for s in services}
    await client.post(f"/services/{services[0]}/states/{states[services[0]]}/end")

    body = (await client.get(f"/customers/{customer_id}/services?active_states=true&active_tasks=true")).json()
    assert [s["service_id"] for s in body] == services
    assert body[0]["active_states"] == []
    assert "completed_states" not in body[0]
    for service in body[1:]:
        assert [x["state_id"] for x in service["active_states"]] == [states[service["service_id"]]]
    for service in body:
        assert [x["task_id"] for x in service["active_tasks"]] == [tasks[service["service_id"]]]


async def test_anonymous_services_by_contact_key(client: httpx.AsyncClient) -> None:
    a = await new_service(client, contact_key="408-832-7799", service_type=1)
    b = await new_service(client, contact_key="408-832-7799", service_type=2)
    await new_service(client, contact_key="somebody-else")
    await client.post(f"/services/{b}/end")
    customer_id = await new_customer(client)
    c = await new_service(client, contact_key="408-832-7799", customer_id=customer_id)

    base = "/services/anonymous/408-832-7799"
    assert await _ids(client, base) == [a, b]
    assert await _ids(client, f"{base}/active") == [a]
    assert await _ids(client, f"{base}/completed") == [b]
    assert await _ids(client, f"{base}?service_type=2") == [b]
    assert c not in await _ids(client, base)
    assert await _ids(client, "/services/anonymous/unknown-key") == []
