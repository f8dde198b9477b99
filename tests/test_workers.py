"""Two server processes on one database: a schema change or a mode switch made through one is
served by the other within a second.
"""

from __future__ import annotations

import time

import httpx

from tests.helpers import FEEDBACK
from tests.servers import AUTH, free_port, wait_ready

QUERY = "query($id: ID!) { service(id: $id) { extensions { Feedback { rating } } } }"


def _two_servers(serve, database_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    urls = []
    for _ in range(2):
        port = free_port()
        process = serve("--port", str(port), "--database", database_url)
        urls.append(f"http://127.0.0.1:{port}")
        wait_ready(urls[-1], process)
    return urls[0], urls[1]


def _until(check, limit: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `check()` holds (fails past `limit`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, f"not within {limit} s"
        time.sleep(0.02)
    return time.monotonic() - start


def test_schema_changes_reach_the_other_worker_within_a_second(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_servers(serve, database_url)
    service_id = httpx.post(
        f"{second}/services/start", headers=AUTH, json={"service_type": 1, "contact_key": "k"}
    ).json()["service_id"]

    def served() -> bool:
        body = httpx.post(
            f"{second}/graphql", headers=AUTH, json={"query": QUERY, "variables": {"id": service_id}}
        ).json()
        return "errors" not in body

    assert not served()
    assert httpx.post(f"{first}/metadata/services/extensions", headers=AUTH, json=FEEDBACK).status_code == 201
    assert _until(served, 1.0) < 1.0
    assert httpx.get(f"{second}/metadata/services/extensions/Feedback", headers=AUTH).status_code == 200
    record = {"Feedback": {"FeedbackType": "survey", "rating": 7}}
    assert httpx.post(f"{second}/services/{service_id}/end", headers=AUTH, json=record).status_code == 204

    assert httpx.delete(f"{first}/metadata/services/extensions/Feedback", headers=AUTH).status_code == 204
    assert _until(lambda: not served(), 1.0) < 1.0


def test_mode_switch_reaches_the_other_worker(serve, database_url: str) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_servers(serve, database_url)
    assert httpx.post(f"{first}/server/mode", headers=AUTH, json={"mode": "maintenance"}).status_code == 200
    _until(lambda: httpx.get(f"{second}/services/1", headers=AUTH).status_code == 403, 1.0)
    assert httpx.post(f"{second}/server/mode", headers=AUTH, json={"mode": "production"}).status_code == 200
    _until(lambda: httpx.get(f"{first}/services/1", headers=AUTH).status_code == 404, 1.0)
