"""The composite start of spec/003: find-or-create of service, state and task in one call."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer

PATH = "/genesys/1/cs/services_composite/start"


def _item(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "service": {
            "customer_id": customer_id,
            "service_type": "MyService1",
            "media_type": "voice",
            "interaction_id": "123ABCAADFJ1259ACF",
            "application_id": 40,
            "est_duration": 60,
        },
        "state": {"state_type": "MyState1", "interaction_id": "123ABCAADFJ1259ACF", "est_duration": 60},
        "task": {"task_type": "MyTask1", "interaction_id": "123ABCAADFJ1259ACF"},
        "associate_state_task": "true",
    } | extra


async def test_composite_creates_then_finds(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    response = await client.post(PATH, json={"services": [_item(customer_id)]})
    assert response.status_code == 200, response.text
    first = response.json()["services"][0]
    assert first["service"]["created"] == "true"
    assert first["state"]["created"] == "true"
    assert first["task"]["created"] == "true"
    service_id, state_id, task_id = (first[k][f"{k}_id"] for k in ("service", "state", "task"))
    assert response.headers["location"] == f"/genesys/1/cs/services/{service_id}/tasks/{task_id}"
    task = (await client.get(f"/services/{service_id}/tasks/{task_id}")).json()
    assert task["state_id"] == state_id
    service = (await client.get(f"/services/{service_id}")).json()
    assert service["customer_id"] == customer_id
    assert service["started"]["media_type"] == "voice"

    again = (await client.post(PATH, json={"services": [_item(customer_id)]})).json()["services"][0]
    assert again == {
        "service": {"service_id": service_id, "created": "false"},
        "state": {"state_id": state_id, "created": "false"},
        "task": {"task_id": task_id, "created": "false"},
    }


async def test_composite_creates_missing_state_and_task_in_found_service(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    first = (await client.post(PATH, json={"services": [_item(customer_id)]})).json()["services"][0]
    service_id = first["service"]["service_id"]
    await client.post(f"/services/{service_id}/states/{first['state']['state_id']}/end")

    item = _item(customer_id)
    item["task"]["task_type"] = "MyTask2"
    second = (await client.post(PATH, json={"services": [item]})).json()["services"][0]
    assert second["service"] == {"service_id": service_id, "created": "false"}
    assert second["state"]["created"] == "true"
    assert second["state"]["state_id"] != first["state"]["state_id"]
    assert second["task"]["created"] == "true"


async def test_composite_without_task_points_location_at_the_state(client: httpx.AsyncClient) -> None:
    item = _item("", associate_state_task=False)
    item["service"] = {"contact_key": "anon-1", "service_type": 7}
    del item["task"]
    response = await client.post("/services_composite/start", json={"services": [item]})
    assert response.status_code == 200, response.text
    result = response.json()["services"][0]
    assert "task" not in result
    assert response.headers["location"] == (
        f"/services/{result['service']['service_id']}/states/{result['state']['state_id']}"
    )
    service = (await client.get(f"/services/{result['service']['service_id']}")).json()
    assert "customer_id" not in service


async def test_completed_service_is_not_found_again(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    first = (await client.post(PATH, json={"services": [_item(customer_id)]})).json()["services"][0]
    await client.post(f"/services/{first['service']['service_id']}/end")
    second = (await client.post(PATH, json={"services": [_item(customer_id)]})).json()["services"][0]
    assert second["service"]["created"] == "true"


async def test_a_bad_item_writes_nothing_for_any_item(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    good = _item(customer_id)
    for bad, status in [
        ({"service": {"customer_id": customer_id}, "state": {"state_type": 1}}, 400),
        ({"service": {"customer_id": "0000000000000000", "service_type": 1}, "state": {"state_type": 1}}, 404),
        (_item(customer_id, associate_state_task="perhaps"), 400),
        ({"service": {"customer_id": customer_id, "service_type": 1}}, 400),
    ]:
        before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
        response = await client.post(PATH, json={"services": [good, bad]})
        assert_error(response, status, method="POST")
        assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]
    assert_error(await client.post(PATH, json={"services": []}), 400, method="POST", fragment="services")


async def test_a_task_needs_the_start_task_role_over_rest_and_graphql(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """The composite start may create a task: a key without UCS.Service.startTask is refused (403)
    whenever an item names one, writes nothing, and may still start services and states."""
    from tests.test_auth import make_key

    customer_id = await new_customer(client)
    headers = await make_key(app, ["UCS.Service.startService", "UCS.Service.startState"])
    before = await snapshot(app)
    refused = await client.post(PATH, json={"services": [_item(customer_id)]}, headers=headers)
    assert_error(refused, 403, method="POST", fragment="UCS.Service.startTask")
    mutation = (
        "mutation($c: ID!) { compositeStart(services: [{service: {customerId: $c, serviceType: 1},"
        " state: {stateType: 2}, task: {taskType: 3}}]) { taskId } }"
    )
    body = (
        await client.post("/graphql", json={"query": mutation, "variables": {"c": customer_id}}, headers=headers)
    ).json()
    assert body["errors"][0]["extensions"]["status"] == 403, body
    assert await snapshot(app) == before
    without_task = {k: v for k, v in _item(customer_id).items() if k != "task"}
    allowed = await client.post(PATH, json={"services": [without_task]}, headers=headers)
    assert allowed.status_code == 200, allowed.text
    assert "task" not in allowed.json()["services"][0]


async def test_at_most_100_items_per_request_over_rest_and_graphql(app: Starlette, client: httpx.AsyncClient) -> None:
    """5 000 items once held one transaction (and SQLite's one writer) for ~8 s: over 100 is a 400
    that writes nothing; 100 are served."""
    customer_id = await new_customer(client)
    before = await snapshot(app)
    refused = await client.post(PATH, json={"services": [_item(customer_id)] * 101})
    assert_error(refused, 400, method="POST", fragment="at most 100")
    mutation = (
        "mutation($i: [CompositeStartInput!]!) { compositeStart(services: $i) { serviceId } }",
        {"i": [{"service": {"serviceType": 1, "contactKey": "k"}, "state": {"stateType": 2}}] * 101},
    )
    body = (await client.post("/graphql", json={"query": mutation[0], "variables": mutation[1]})).json()
    assert body["errors"][0]["extensions"]["status"] == 400, body
    assert "at most 100" in body["errors"][0]["message"]
    assert await snapshot(app) == before
    served = await client.post(PATH, json={"services": [_item(customer_id)] * 100})
    assert served.status_code == 200, served.text
    assert len(served.json()["services"]) == 100
