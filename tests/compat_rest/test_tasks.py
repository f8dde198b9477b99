"""Task Operations over REST: start, complete, queries; `/task/` and `/tasks/` spellings."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer, new_service, new_state, new_task


@pytest.mark.parametrize("word", ["tasks", "task"])
async def test_start_and_complete_task_in_both_spellings(client: httpx.AsyncClient, word: str) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    body = {
        "interaction_id": 42,
        "est_duration": 460,
        "state_id": state_id,
        "task_type": "customer info",
        "timestamp": "2010-06-03T08:49:45.943Z",
    }
    response = await client.post(f"/services/{service_id}/{word}/start", json=body)
    assert response.status_code == 201
    task_id = response.json()["task_id"]
    assert response.headers["location"] == f"/services/{service_id}/tasks/{task_id}"

    end = {
        "interaction_id": "0000CSS0FXZUP6UR",
        "disposition": 10,
        "disposition_desc": "SUCCESS",
        "timestamp": "2010-06-03T08:51:15.990Z",
    }
    response = await client.post(f"/genesys/1/cs/services/{service_id}/{word}/{task_id}/end", json=end)
    assert response.status_code == 204
    task = (await client.get(f"/services/{service_id}/{word}/{task_id}")).json()
    assert task == {
        "service_id": service_id,
        "task_id": task_id,
        "task_type": "customer info",
        "state_id": state_id,
        "est_duration": 460,
        "started": {"interaction_id": 42, "timestamp": "2010-06-03T08:49:45.943Z"},
        "completed": {"interaction_id": "0000CSS0FXZUP6UR", "timestamp": "2010-06-03T08:51:15.990Z"},
        "duration": 90_047,
        "disposition": 10,
        "disposition_desc": "SUCCESS",
    }


async def test_task_of_a_customer_service_shows_customer_id(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    task_id = await new_task(client, service_id)
    assert (await client.get(f"/services/{service_id}/tasks/{task_id}")).json()["customer_id"] == customer_id


async def test_completing_a_task_with_state_id_attaches_it(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id)
    await client.post(f"/services/{service_id}/tasks/{task_id}/end", json={"state_id": state_id})
    assert (await client.get(f"/services/{service_id}/tasks/{task_id}")).json()["state_id"] == state_id


async def test_task_in_unknown_or_completed_state_writes_nothing(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    await client.post(f"/services/{service_id}/states/{state_id}/end")
    before = await snapshot(client._transport.app)  # type: ignore[attr-defined]
    response = await client.post(f"/services/{service_id}/tasks/start", json={"task_type": 1, "state_id": 424242})
    assert_error(response, 404, method="POST", fragment="state")
    response = await client.post(f"/services/{service_id}/tasks/start", json={"task_type": 1, "state_id": state_id})
    assert_error(response, 409, method="POST", fragment="completed")
    response = await client.post(f"/services/{service_id}/tasks/start", json={"task_type": 1, "state_id": 2**40})
    assert_error(response, 400, method="POST", fragment="state_id")
    assert await snapshot(client._transport.app) == before  # type: ignore[attr-defined]


async def test_complete_task_twice_is_409(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    task_id = await new_task(client, service_id)
    assert (await client.post(f"/services/{service_id}/tasks/{task_id}/end")).status_code == 204
    assert_error(await client.post(f"/services/{service_id}/tasks/{task_id}/end"), 409, method="POST")


async def test_query_tasks_filters(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_a, state_b = await new_state(client, service_id), await new_state(client, service_id)
    t1 = await new_task(client, service_id, task_type="STT-DefineCustomerNeed", state_id=state_a)
    t2 = await new_task(client, service_id, task_type="STT-FillCustomerInfo", state_id=state_b)
    t3 = await new_task(client, service_id, task_type=12)
    await client.post(f"/services/{service_id}/tasks/{t2}/end")

    async def ids(path: str) -> list[int]:
        response = await client.get(path)
        assert response.status_code == 200, response.text
        return [t["task_id"] for t in response.json()]

    base = f"/services/{service_id}/tasks"
    assert await ids(base) == [t1, t2, t3]
    assert await ids(f"{base}/active") == [t1, t3]
    assert await ids(f"{base}/completed?task_types=STT-DefineCustomerNeed%2CSTT-FillCustomerInfo") == [t2]
    assert await ids(f"{base}?task_types=12") == [t3]
    assert await ids(f"{base}?state_id={state_a}") == [t1]
    assert await ids(f"/services/{service_id}/task/completed?state_id={state_a}") == []
    assert_error(await client.get(f"{base}?state_id=abc"), 400, method="GET", fragment="state_id")


async def test_unknown_task_is_404(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    assert_error(await client.get(f"/services/{service_id}/tasks/31337"), 404, method="GET", fragment="task")
    assert_error(await client.post(f"/services/{service_id}/tasks/31337/end"), 404, method="POST")
