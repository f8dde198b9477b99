"""One behaviour, two surfaces: the journey lifecycle, its refusals and its roles give the same
answers over REST and over GraphQL (each test runs on both, on SQLite and on PostgreSQL), because
both bind to the same catalog operations."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import new_customer
from tests.surfaces import GraphQL, Refusal, Rest, Surface, _camel
from tests.test_auth import _without, make_key


@pytest.fixture(params=["rest", "graphql"])
def surface(request: pytest.FixtureRequest, client: httpx.AsyncClient) -> Surface:
    return Rest(client) if request.param == "rest" else GraphQL(client)


async def test_the_journey_lifecycle(client: httpx.AsyncClient, surface: Surface) -> None:
    customer_id = await new_customer(client)
    service_id = await surface.start_service({"customer_id": customer_id, "service_type": 100, "media_type": "voice"})
    first = await surface.start_state(service_id, {"state_type": "Identify"})
    task_id = await surface.start_task(service_id, {"task_type": "Verify", "state_id": first})
    await surface.complete_task(service_id, task_id, {"disposition": "done"})
    second = await surface.transition(
        service_id, {"from": {"state_id": first, "disposition": 1}, "to": {"state_type": 2}}
    )
    assert await surface.tree(customer_id) == [
        {
            "service_id": service_id,
            "active": True,
            "states": [(first, False), (second, True)],
            "tasks": [(task_id, first, False)],
        }
    ]
    await surface.complete_service(service_id, {})
    assert (await surface.tree(customer_id))[0]["active"] is False


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ({"contact_key": "408"}, 400, 4020, "service_type"),
        ({"service_type": 1}, 400, 4020, "contact_key"),
        ({"service_type": 1, "contact_key": "k", "est_duration": -1}, 400, 4020, "est_duration"),
        ({"service_type": 1, "customer_id": "0000000000000000"}, 404, 4040, "customer"),
        ({"service_type": 1, "contact_key": "k", "timestamp": "yesterday"}, 400, 4020, "timestamp"),
    ],
)
async def test_the_same_refusals_write_nothing(
    app: Starlette, surface: Surface, body: dict[str, object], status: int, code: int, fragment: str
) -> None:
    before = await snapshot(app)
    with pytest.raises(Refusal) as refused:
        await surface.start_service(body)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert fragment in refused.value.message or _camel(fragment) in refused.value.message
    assert await snapshot(app) == before


async def test_completing_twice_is_a_conflict(surface: Surface) -> None:
    service_id = await surface.start_service({"service_type": 1, "contact_key": "k"})
    await surface.complete_service(service_id, {})
    with pytest.raises(Refusal) as refused:
        await surface.complete_service(service_id, {})
    assert (refused.value.status, refused.value.code) == (409, 4090)


async def test_the_same_roles(app: Starlette, surface: Surface) -> None:
    without = await make_key(app, _without("UCS.Service.startService"))
    before = await snapshot(app)
    with pytest.raises(Refusal) as refused:
        await surface.start_service({"service_type": 1, "contact_key": "k"}, headers=without)
    assert (refused.value.status, refused.value.code) == (403, 4030)
    assert "UCS.Service.startService" in refused.value.message
    assert await snapshot(app) == before
    allowed = await make_key(app, ["UCS.Service.startService"])
    assert await surface.start_service({"service_type": 1, "contact_key": "k"}, headers=allowed) > 0
