"""Retried starts: a start sent again with its Idempotency-Key answers the first result (same status,
body and Location) without writing; the same key with another body is 409; keys belong to one API
key, expire, and a malformed one is 400. Concurrent duplicates write once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.resolvers.access.roles import TASKS
from contextgraph.resolvers.store.tables import service_t
from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer, new_service, new_state
from tests.test_auth import make_key


async def _services(app: Starlette) -> int:
    async with app.state.runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(service_t)) or 0)


def _same(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == first.status_code, again.text
    assert again.content == first.content
    assert again.headers.get("location") == first.headers.get("location")
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_a_retried_service_start_answers_the_first_result(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    body = {"service_type": 100, "customer_id": customer_id}
    headers = {"Idempotency-Key": "8e0f6c3a-2b1d-4f5e-9a7b-0c1d2e3f4a5b"}
    first = await client.post("/services/start", json=body, headers=headers)
    assert first.status_code == 201, first.text
    before = await snapshot(app)
    again = await client.post("/services/start", json=dict(reversed(body.items())), headers=headers)
    _same(first, again)
    assert await snapshot(app) == before  # nothing written, not even the key again
    assert len((await client.get(f"/customers/{customer_id}/services")).json()) == 1
    # Without a key, or with another, a start is a new service.
    assert (await client.post("/services/start", json=body)).json() != first.json()
    other = await client.post("/services/start", json=body, headers={"Idempotency-Key": "another"})
    assert other.json() != first.json()


async def test_the_same_key_with_another_body_is_409(app: Starlette, client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    assert (
        await client.post("/services/start", json={"service_type": 1, "contact_key": "k"}, headers=headers)
    ).status_code == 201
    before = await snapshot(app)
    changed = await client.post("/services/start", json={"service_type": 2, "contact_key": "k"}, headers=headers)
    assert_error(changed, 409, method="POST", fragment="Idempotency-Key")
    service_id = await new_service(client)
    elsewhere = await client.post(f"/services/{service_id}/states/start", json={"state_type": 1}, headers=headers)
    assert_error(elsewhere, 409, method="POST", fragment="another request")
    after = await snapshot(app)
    made = ("service", "journey_event")  # the new service and its start event
    assert {k: v for k, v in after.items() if k not in made} == {k: v for k, v in before.items() if k not in made}


async def test_state_task_transition_and_composite_starts_replay(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    state_id = await new_state(client, service_id)
    base = f"/services/{service_id}"
    item = {
        "service": {"customer_id": customer_id, "service_type": "S"},
        "state": {"state_type": "T"},
        "task": {"task_type": "K"},
    }
    requests: list[tuple[str, Any]] = [
        (f"{base}/states/start", {"state_type": 9}),
        (f"{base}/tasks/start", {"task_type": 9, "state_id": state_id}),
        (f"{base}/states/transition", {"from": {"state_id": state_id}, "to": {"state_type": 3}}),
        ("/services_composite/start", {"services": [item]}),
    ]
    for n, (path, body) in enumerate(requests):
        headers = {"Idempotency-Key": f"k{n}"}
        first = await client.post(path, json=body, headers=headers)
        assert first.status_code in (200, 201), first.text
        before = await snapshot(app)
        _same(first, await client.post(path, json=body, headers=headers))
        assert await snapshot(app) == before
    composite = (
        await client.post("/services_composite/start", json={"services": [item]}, headers={"Idempotency-Key": "k3"})
    ).json()
    assert composite["services"][0]["service"]["created"] == "true"  # the first answer, as it was


async def test_concurrent_duplicates_write_once(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    body = {"service_type": 7, "customer_id": customer_id}
    responses = await asyncio.gather(
        *(client.post("/services/start", json=body, headers={"Idempotency-Key": "together"}) for _ in range(20))
    )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sum("idempotent-replayed" in r.headers for r in responses) == 19
    assert await _services(app) == 1


async def test_keys_belong_to_one_api_key(app: Starlette, client: httpx.AsyncClient) -> None:
    other = await make_key(app, TASKS)
    body = {"service_type": 1, "contact_key": "k"}
    mine = await client.post("/services/start", json=body, headers={"Idempotency-Key": "shared"})
    theirs = await client.post("/services/start", json=body, headers={"Idempotency-Key": "shared", **other})
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json() != mine.json()


async def test_malformed_keys_are_400_and_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    before = await snapshot(app)
    for key in ("", " ", "a b", "x" * 256, "clé", "tab\there", "zero\u200bwidth"):
        response = await client.post(
            "/services/start",
            json={"service_type": 1, "contact_key": "k"},
            headers=[("Idempotency-Key", key.encode("utf-8"))],  # type: ignore[arg-type]
        )
        assert_error(response, 400, method="POST", fragment="Idempotency-Key")
    assert await snapshot(app) == before
    assert (
        await client.post(
            "/services/start", json={"service_type": 1, "contact_key": "k"}, headers={"Idempotency-Key": "x" * 255}
        )
    ).status_code == 201


class TestExpiry:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"idempotency_ttl": 0.3}

    async def test_keys_expire_and_are_purged(self, app: Starlette, client: httpx.AsyncClient) -> None:
        body = {"service_type": 1, "contact_key": "k"}
        headers = {"Idempotency-Key": "short-lived"}
        first = (await client.post("/services/start", json=body, headers=headers)).json()
        await asyncio.sleep(0.4)
        again = await client.post("/services/start", json=body, headers=headers)
        assert again.status_code == 201
        assert "idempotent-replayed" not in again.headers
        assert again.json() != first
        await client.post("/services/start", json=body, headers={"Idempotency-Key": "another"})
        await asyncio.sleep(0.4)
        runtime = app.state.runtime
        runtime.purged_at = 0.0
        await runtime.refresh()
        async with runtime.db.read() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM idempotency_key")) == 0
