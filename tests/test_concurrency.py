"""Concurrent writes: one transition wins, nothing is lost, no "database is locked" on SQLite."""

from __future__ import annotations

import asyncio

import httpx

from tests.compat_rest.test_interactions import chat
from tests.helpers import new_customer, new_service, new_state


async def test_concurrent_transitions_from_one_state_start_one_state(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    first = await new_state(client, service_id)
    body = {"from": {"state_id": first}, "to": {"state_type": "next"}}
    responses = await asyncio.gather(
        *(client.post(f"/services/{service_id}/states/transition", json=body) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code not in (201, 409)]
    active = (await client.get(f"/services/{service_id}/states/active")).json()
    assert [s["state_type"] for s in active] == ["next"]
    assert active[0]["started"]["previous_state_id"] == first


async def test_concurrent_completions_complete_once(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    responses = await asyncio.gather(
        *(client.post(f"/services/{service_id}/end", json={"disposition": n}) for n in range(15))
    )
    assert sorted(r.status_code for r in responses) == [204] + [409] * 14
    winner = next(n for n, r in enumerate(responses) if r.status_code == 204)
    assert (await client.get(f"/services/{service_id}")).json()["disposition"] == winner


async def test_concurrent_starts_all_succeed_with_unique_ids(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    responses = await asyncio.gather(
        *(client.post(f"/services/{service_id}/tasks/start", json={"task_type": n}) for n in range(30)),
        *(client.post("/services/start", json={"service_type": n, "customer_id": customer_id}) for n in range(30)),
    )
    assert [r.status_code for r in responses] == [201] * 60, [r.text for r in responses if r.status_code != 201]
    task_ids = {r.json()["task_id"] for r in responses[:30]}
    assert len(task_ids) == 30
    assert len((await client.get(f"/services/{service_id}/tasks")).json()) == 30
    assert len((await client.get(f"/customers/{customer_id}/services")).json()) == 31


async def test_concurrent_composite_starts_create_one_service(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    item = {"service": {"customer_id": customer_id, "service_type": "S"}, "state": {"state_type": "T"}}
    responses = await asyncio.gather(
        *(client.post("/services_composite/start", json={"services": [item]}) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [200] * 10
    service_ids = {r.json()["services"][0]["service"]["service_id"] for r in responses}
    assert len(service_ids) == 1
    assert sum(r.json()["services"][0]["service"]["created"] == "true" for r in responses) == 1
    states = (await client.get(f"/services/{service_ids.pop()}/states")).json()
    assert len(states) == 1


async def test_ids_are_never_reused(client: httpx.AsyncClient) -> None:
    import sqlalchemy as sa

    first = await new_service(client)
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.runtime.db.write() as conn:
        await conn.execute(sa.text("DELETE FROM service WHERE id = :id"), {"id": first})
    second = await new_service(client)
    assert second > first


async def test_starts_racing_a_delete_of_their_customer_answer_404_never_500(client: httpx.AsyncClient) -> None:
    # On PostgreSQL a delete committed between a start's check of the customer and its insert broke the
    # insert's foreign key: 500 for 2 of 47 writes. A start now keeps the customer until it commits.
    for _ in range(5):
        customer_id = await new_customer(client)
        anonymous = await new_service(client)
        starts = [
            client.post("/services/start", json={"service_type": n, "customer_id": customer_id}) for n in range(12)
        ]
        interactions = [client.post("/interactions", json=chat(customer_id, f"{customer_id}-{n}")) for n in range(4)]
        associate = client.post(f"/customers/{customer_id}/services/{anonymous}", json={})
        responses = await asyncio.gather(
            *starts[:6], client.delete(f"/profiles/{customer_id}"), *starts[6:], *interactions, associate
        )
        delete, rest = responses[6], responses[:6] + responses[7:]
        assert delete.status_code == 200, delete.text
        assert {r.status_code for r in rest} <= {200, 201, 204, 404}, [r.text for r in rest if r.status_code >= 500]
        # Whatever was written before the delete went with the customer.
        assert (await client.get(f"/customers/{customer_id}/services")).status_code == 404


async def test_starts_racing_a_merge_of_their_customer_land_on_the_survivor(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        target, source = await new_customer(client), await new_customer(client, FirstName="Bo")
        starts = [client.post("/services/start", json={"service_type": n, "customer_id": source}) for n in range(12)]
        responses = await asyncio.gather(*starts[:6], client.put(f"/profiles/{target}/merge/{source}"), *starts[6:])
        merge, rest = responses[6], responses[:6] + responses[7:]
        assert merge.status_code < 300, merge.text
        assert {r.status_code for r in rest} <= {201, 404}, [r.text for r in rest if r.status_code >= 500]
        started = {r.json()["service_id"] for r in rest if r.status_code == 201}
        merged = {s["service_id"] for s in (await client.get(f"/customers/{target}/services")).json()}
        assert started <= merged
