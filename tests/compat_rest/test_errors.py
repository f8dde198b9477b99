"""The documented error model: 400, 404, 405, 415, masked 500 with a request id; both prefixes."""

from __future__ import annotations

import logging

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from tests.helpers import assert_error, new_service


@pytest.mark.parametrize("prefix", ["", "/genesys/1/cs"])
async def test_unknown_path_is_404_json(client: httpx.AsyncClient, prefix: str) -> None:
    body = assert_error(await client.get(f"{prefix}/no/such/path"), 404, method="GET")
    assert body["title"] == "not found"


async def test_wrong_method_is_405_json(client: httpx.AsyncClient) -> None:
    assert_error(await client.put("/services/start", json={}), 405, method="PUT")
    assert_error(await client.delete("/genesys/1/cs/server/status"), 405, method="DELETE")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_non_json_body_is_415(client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/services/start", content=b'{"service_type": 1, "contact_key": "k"}', headers=headers)
    assert_error(response, 415, method="POST", fragment="application/json")


@pytest.mark.parametrize("body", [b"{not json", b'{"service_type": 1,}', b"[1, 2", b'"text"'])
async def test_malformed_json_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/services/start", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400, method="POST")


async def test_missing_body_where_required_is_400(client: httpx.AsyncClient) -> None:
    assert_error(await client.post("/services/start"), 400, method="POST", fragment="body")


async def test_json_with_charset_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/services/start",
        content=b'{"service_type": 1, "contact_key": "k"}',
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 201


async def test_unexpected_error_is_masked_500_logged_with_request_id(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    service_id = await new_service(client)
    async with app.state.runtime.db.write() as conn:  # break the database under the server's feet
        await conn.execute(sa.text("DROP TABLE task"))
    with caplog.at_level(logging.ERROR, logger="contextgraph"):
        response = await client.get(f"/services/{service_id}/tasks", headers={"x-request-id": "req-42"})
    body = assert_error(response, 500, method="GET", fragment="req-42")
    assert "task" not in body["description"].lower()  # no SQL or table names leak out
    assert any("req-42" in r.getMessage() for r in caplog.records)
    assert (await client.get("/server/status")).json()["server_errors_today"] == 1


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/server/status")
    assert len(response.headers["x-request-id"]) == 16
    assert (await client.get("/server/status", headers={"x-request-id": "abc"})).headers["x-request-id"] == "abc"
