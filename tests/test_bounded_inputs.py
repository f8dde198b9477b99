"""Bounded inputs through the real app: bodies (413, declared or streamed), the bulk import's larger
allowance, multipart parts, JSON nesting (400), and per-key rate limits (429 with Retry-After)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import assert_error
from tests.test_auth import make_key

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": 2048, "max_upload_bytes": 8192, "max_json_depth": 8}


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"a": [value]} if isinstance(value, str) else {"a": value}
    return value


async def test_a_body_over_the_limit_is_413_and_writes_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    before = await snapshot(app)
    big = {"service_type": 1, "contact_key": "k", "padding": "x" * 3000}
    response = await client.post("/services/start", json=big)
    assert_error(response, 413, method="POST", fragment="at most 2048")

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        payload = orjson.dumps(big)
        for start in range(0, len(payload), 500):
            yield payload[start : start + 500]

    chunked = await client.post("/services/start", content=streamed(), headers={"content-type": "application/json"})
    assert_error(chunked, 413, method="POST", fragment="over 2048 bytes")
    graphql = await client.post("/graphql", json={"query": "{ serverStatus }", "variables": {"x": "y" * 3000}})
    assert graphql.status_code == 413
    assert graphql.json()["errors"][0]["extensions"] == {"code": 4130, "status": 413}
    assert await snapshot(app) == before


def _import(csv: bytes, **parts: Any) -> dict[str, Any]:
    files: dict[str, Any] = {
        "description": (None, orjson.dumps({"format": "csv"})),
        "profiles": ("p.csv", csv, "text/csv"),
    }
    return files | parts


async def test_the_bulk_import_has_its_own_allowance(app: Starlette, client: httpx.AsyncClient) -> None:
    rows = b"FirstName,LastName\n" + b"".join(b"Ada%d,Lovelace\n" % i for i in range(250))  # ~4 KB: over 2048
    assert 2048 < len(rows) < 8192
    assert (await client.post("/server/mode", json={"mode": "maintenance"})).status_code == 200
    response = await client.post("/profiles/import", files=_import(rows))
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 250
    before = await snapshot(app)
    too_big = await client.post("/profiles/import", files=_import(rows * 3))
    assert_error(too_big, 413, method="POST", fragment="at most 8192")
    assert await snapshot(app) == before


async def test_multipart_parts_are_bounded(app: Starlette, client: httpx.AsyncClient) -> None:
    assert (await client.post("/server/mode", json={"mode": "maintenance"})).status_code == 200
    before = await snapshot(app)
    many = {f"extra{i}": (None, b"x") for i in range(12)}
    response = await client.post("/profiles/import", files=_import(b"FirstName\nAda\n", **many))
    assert_error(response, 400, method="POST", fragment="Too many fields")
    files = {f"f{i}": (f"{i}.csv", b"FirstName\nAda\n", "text/csv") for i in range(3)}
    response = await client.post("/profiles/import", files=_import(b"FirstName\nAda\n", **files))
    assert_error(response, 400, method="POST", fragment="Too many files")
    assert await snapshot(app) == before


async def test_json_nested_too_deep_is_400(app: Starlette, client: httpx.AsyncClient) -> None:
    before = await snapshot(app)
    body = {"customer_id": "0000000000000000", "Feedback": _nested(9)}
    assert_error(await client.post("/services/start", json=body), 400, method="POST", fragment="deeper than 8 levels")
    query = "query($v: JSON!) { identify(attributes: $v) { id: customerId } }"
    deep = await client.post("/graphql", json={"query": query, "variables": {"v": _nested(7)}})  # 9 with the body
    assert deep.status_code == 400
    assert "deeper than 8 levels" in deep.text
    shallow = await client.post("/graphql", json={"query": query, "variables": {"v": _nested(6)}})
    assert shallow.status_code == 200
    assert "deeper" not in shallow.text
    assert await snapshot(app) == before


class TestRateLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit": 0.5, "rate_limit_burst": 3}

    async def test_a_key_over_its_rate_is_429_with_retry_after(self, app: Starlette, client: httpx.AsyncClient) -> None:
        other = await make_key(app, ["UCS.SystemMgt.readServerInfo"])  # the bootstrap key spent nothing yet
        answers = [await client.get("/server/status") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        over = await client.get("/server/status")
        assert_error(over, 429, method="GET", fragment="over its limit")
        assert over.headers["retry-after"] == "2"
        graphql = await client.post("/graphql", json={"query": "{ serverStatus }"})
        assert graphql.status_code == 429
        assert graphql.json()["errors"][0]["extensions"]["status"] == 429
        assert (await client.get("/server/status", headers=other)).status_code == 200  # each key its own bucket


async def test_a_nul_character_is_refused_everywhere_alike(app: Starlette, client: httpx.AsyncClient) -> None:
    """PostgreSQL cannot store NUL in text (it once answered 500 to schemathesis); SQLite could."""
    before = await snapshot(app)
    assert_error(await client.get("/profiles/ab%00cd"), 400, method="GET", fragment="NUL")
    assert_error(await client.get("/services/anonymous/k?service_type=a%00"), 400, method="GET", fragment="NUL")
    body = await client.post("/services/start", json={"service_type": 1, "contact_key": "a\u0000b"})
    assert_error(body, 400, method="POST", fragment="NUL")
    key = await client.post("/services/start", json={"service_type": 1, "contact_key": "k", "x\u0000": 1})
    assert_error(key, 400, method="POST", fragment="NUL")
    variables = await client.post(
        "/graphql",
        json={"query": "mutation($id: ID!) { deleteProfile(customerId: $id) }", "variables": {"id": "\u0000"}},
    )
    assert variables.status_code == 400
    literal = (
        await client.post("/graphql", json={"query": 'mutation { deleteProfile(customerId: "a\\u0000") }'})
    ).json()
    assert literal["data"] is None
    assert literal["errors"][0]["extensions"]["status"] == 400
    assert "NUL" in literal["errors"][0]["message"]
    assert await snapshot(app) == before
