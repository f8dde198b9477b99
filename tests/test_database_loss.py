"""Losing PostgreSQL answers 503 quickly (no hang, no 500 storm) and recovers by itself."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from tests.helpers import assert_error, new_service


def _pg_ctl(*args: str) -> None:
    data = os.environ["CONTEXTGRAPH_TEST_PGDATA"]
    command = [os.path.join(os.environ["CONTEXTGRAPH_TEST_PGBIN"], "pg_ctl"), "-D", data, *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_going_away_is_503_then_recovers(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    _pg_ctl("-m", "immediate", "stop")
    try:
        for _ in range(3):
            assert_error(await client.get(f"/services/{service_id}"), 503, method="GET", fragment="database")
        response = await client.post(
            "/graphql",
            json={"query": "query($i: ID!) { service(id: $i) { id: serviceId } }", "variables": {"i": service_id}},
        )
        assert response.json()["errors"][0]["extensions"]["status"] == 503
    finally:
        _pg_ctl(
            "-w", "-l", os.environ["CONTEXTGRAPH_TEST_PGLOG"], "-o", os.environ["CONTEXTGRAPH_TEST_PGOPTIONS"], "start"
        )
    assert (await client.get(f"/services/{service_id}")).status_code == 200
    assert (await client.get("/server/status")).json()["server_errors_today"] == 3  # the three 503s, no 500
