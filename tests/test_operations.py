"""Operations: /metrics per operation (REST and GraphQL) and across workers, access logs with the
request id, errors logged once, SIGTERM draining requests in flight.
"""

from __future__ import annotations

import logging
import signal
import threading

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.helpers import new_service
from tests.servers import AUTH, free_port, wait_ready


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format."""
    for line in text.splitlines():
        labelled = line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items())
        if labelled or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_per_operation(client: httpx.AsyncClient) -> None:
    # The counters belong to the process (every test's app shares them): compare before and after.
    before = (await client.get("/metrics")).text
    service_id = await new_service(client)
    await client.get(f"/services/{service_id}")
    await client.get("/services/424242")
    await client.post("/graphql", json={"query": "query Status { serverStatus }"})
    await client.post(
        "/metadata/services/extensions",
        json={"name": "Coupon", "type": "single-valued", "attributes": [{"name": "code", "type": "string"}]},
    )
    after = (await client.get("/metrics")).text

    def grew(name: str, **labels: str) -> float:
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert grew("contextgraph_requests_total", operation="/services/start", status="201") == 1
    assert grew("contextgraph_requests_total", operation="/services/{service_id:int}", status="200") == 1
    assert grew("contextgraph_request_errors_total", operation="/services/{service_id:int}", status="404") == 1
    assert grew("contextgraph_requests_total", operation="graphql query Status", status="200") == 1
    assert grew("contextgraph_request_duration_seconds_count", operation="/services/start") == 1
    assert grew("contextgraph_graphql_schema_rebuilds_total") == 1
    assert "contextgraph_db_pool_connections_in_use" in after


async def test_access_log_and_one_error_log_per_request(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    service_id = await new_service(client)
    async with app.state.runtime.db.write() as conn:
        await conn.execute(sa.text("DROP TABLE task"))
    with caplog.at_level(logging.INFO):
        await client.get("/server/status", headers={"x-request-id": "ok-1"})
        await client.get(f"/services/{service_id}/tasks", headers={"x-request-id": "boom-1"})
    access = [r.getMessage() for r in caplog.records if r.name == "contextgraph.access"]
    assert any("GET /server/status" in m and "200" in m and "[request ok-1]" in m for m in access)
    assert any(f"GET /services/{service_id}/tasks" in m and " 500 " in m and "[request boom-1]" in m for m in access)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "boom-1" in r.getMessage()]
    assert len(errors) == 1
    assert errors[0].exc_info is not None  # the traceback is in the log, not in the answer


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_metrics_add_up_across_workers(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", database_url, "--workers", "2")
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    pids = set()
    for _ in range(200):
        pids.add(httpx.get(f"{url}/server/status", headers=AUTH).json()["process_id"])  # a new connection each time
        if len(pids) == 2:
            break
    assert len(pids) == 2
    text = httpx.get(f"{url}/metrics", headers=AUTH).text
    counted = _metric(text, "contextgraph_requests_total", operation="/server/status", status="200")
    assert counted >= len(pids) + 1  # the wait_ready probe too, whichever worker answered each


def test_sigterm_drains_requests_in_flight(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", database_url)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    httpx.post(f"{url}/server/mode", headers=AUTH, json={"mode": "maintenance"})
    csv = "FirstName,LastName\n" + "".join(f"F{n},L{n}\n" for n in range(30_000))
    answer: dict[str, httpx.Response] = {}

    def upload() -> None:  # a request that takes a while
        answer["import"] = httpx.post(
            f"{url}/profiles/import",
            headers=AUTH,
            timeout=120,
            files={
                "description": (None, '{"format": "csv", "batch-size": 500}', "application/json"),
                "profiles": ("p.csv", csv.encode(), "text/csv"),
            },
        )

    worker = threading.Thread(target=upload)
    worker.start()
    threading.Event().wait(0.5)  # the upload is in; the import runs for seconds
    process.send_signal(signal.SIGTERM)
    worker.join(120)
    assert answer["import"].status_code == 200
    assert answer["import"].json()["imported"] == 30_000  # finished, though shutdown had begun
    assert process.wait(30) in (0, -15)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/server/status", headers=AUTH)
