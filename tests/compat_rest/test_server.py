"""Server Operations: status with live counters, and the production/maintenance mode."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.app.main import create_app
from contextgraph.app.settings import load_settings
from tests.helpers import assert_error, new_customer, new_service
from tests.servers import AUTH

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_status_has_every_documented_field(client: httpx.AsyncClient) -> None:
    status = (await client.get("/server/status")).json()
    assert set(status) == {
        "version",
        "system_time",
        "mode",
        "max_memory",
        "allocated_memory",
        "used_memory",
        "process_id",
        "free_memory",
        "started",
        "last_request",
        "request_today",
        "client_errors_today",
        "server_errors_today",
    }
    assert status["mode"] == "production"
    assert STAMP.fullmatch(status["system_time"])
    assert STAMP.fullmatch(status["started"])
    assert status["max_memory"] >= status["allocated_memory"] > 0


async def test_status_counters_are_live(client: httpx.AsyncClient) -> None:
    first = (await client.get("/genesys/1/cs/server/status")).json()
    await new_service(client)  # 201
    await client.get("/services/99999999")  # 404
    await client.post("/services/start", json={})  # 400
    await client.delete("/server/status")  # 405
    second = (await client.get("/server/status")).json()
    assert second["request_today"] - first["request_today"] == 5
    assert second["client_errors_today"] - first["client_errors_today"] == 3
    assert second["server_errors_today"] == first["server_errors_today"]
    assert STAMP.fullmatch(second["last_request"])


async def test_mode_switch_is_case_insensitive_and_maintenance_refuses_work(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client)
    response = await client.post("/server/mode", json={"mode": "Maintenance"})
    assert response.status_code == 200
    assert response.json() == {"server changed": "maintenance"}
    assert response.headers["location"] == "/server/status"
    assert (await client.get("/server/status")).json()["mode"] == "maintenance"

    assert_error(await client.get(f"/services/{service_id}"), 403, method="GET", fragment="maintenance")
    assert_error(await client.post("/services/start", json={"service_type": 1, "contact_key": "k"}), 403, method="POST")
    assert_error(await client.get(f"/profiles/{customer_id}"), 403, method="GET")
    assert_error(await client.post(f"/services/{service_id}/states/start", json={"state_type": 1}), 403, method="POST")

    assert (await client.post("/server/mode", json={"mode": "PRODUCTION"})).json() == {"server changed": "production"}
    assert (await client.get(f"/services/{service_id}")).status_code == 200


@pytest.mark.parametrize("body", [{"mode": "something"}, {}, {"mode": 1}])
async def test_bad_mode_is_400(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    body_json = assert_error(await client.post("/server/mode", json=body), 400, method="POST", fragment="server mode")
    assert body_json["title"] == "bad parameter"
    assert (await client.get("/server/status")).json()["mode"] == "production"


async def test_mode_is_shared_through_the_database(
    app: Starlette, client: httpx.AsyncClient, database_url: str
) -> None:
    other = create_app(load_settings(None, database=database_url, refresh_interval=0.05))
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://other", headers=AUTH) as other_client:
            await client.post("/server/mode", json={"mode": "maintenance"})
            for _ in range(40):  # the other worker's poller takes it within a few intervals
                if (await other_client.get("/server/status")).json()["mode"] == "maintenance":
                    break
                await asyncio.sleep(0.05)
            assert (await other_client.get("/server/status")).json()["mode"] == "maintenance"
            assert (await other_client.get("/services/1")).status_code == 403


async def test_switch_waits_for_in_flight_work_and_answers_503_meanwhile(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    service_id = await new_service(client)
    in_flight = app.state.runtime.server.operation()
    await in_flight.__aenter__()  # a profile/service operation that has not finished yet
    switch = asyncio.create_task(client.post("/server/mode", json={"mode": "maintenance"}))
    await asyncio.sleep(0.2)
    assert not switch.done()
    assert_error(await client.get(f"/services/{service_id}"), 503, method="GET", fragment="switching")
    assert (await client.get("/server/status")).json()["mode"] == "production"
    await in_flight.__aexit__(None, None, None)
    response = await asyncio.wait_for(switch, 5)
    assert response.json() == {"server changed": "maintenance"}


class TestSwitchTimeout:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"mode_switch_timeout": 0.3}

    async def test_switch_gives_up_with_403_when_work_does_not_finish(
        self, app: Starlette, client: httpx.AsyncClient
    ) -> None:
        async with app.state.runtime.server.operation():
            response = await client.post("/server/mode", json={"mode": "maintenance"})
        assert_error(response, 403, method="POST", fragment="did not complete")
        assert (await client.get("/server/status")).json()["mode"] == "production"
