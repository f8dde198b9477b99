"""Security headers through the real app: every answer (pages, assets, JSON, GraphQL, refusals)
carries the policy, no framing, no sniffing, no referrer and no-store; stored content gets a sandbox;
an answer that chose its own caching or policy keeps it.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from contextgraph.app.security_headers import SecurityHeaders, policy_for
from tests.helpers import new_customer


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_body_bytes": 4096}


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


def _assert_page_headers(response: httpx.Response, *, cache: str = "no-store") -> None:
    assert response.headers["x-frame-options"] == "DENY", response.request.url
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == cache, response.request.url
    if cache == "private":  # a resource with an ETag: the client may keep it, never a shared cache
        assert "Authorization" in response.headers["vary"]
    assert len(response.headers.get_list("content-security-policy")) == 1
    directives = _directives(response)
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["form-action"] == "form-action 'self'"
    assert directives["script-src"] == "script-src 'self'"  # no unsafe-inline, no unsafe-eval
    assert "unsafe" not in response.headers["content-security-policy"]
    assert directives["connect-src"] == f"connect-src 'self' ws://{response.request.url.netloc.decode()} " + (
        f"wss://{response.request.url.netloc.decode()}"
    )


async def test_every_kind_of_answer_carries_the_headers(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    html = {"accept": "text/html"}
    answers = [
        await client.get("/graphql", headers=html),  # GraphiQL
        await client.get("/ui"),
        await client.get("/static/graphiql-start.js"),
        await client.get("/static/vendor/graphiql.min.css"),
        await client.get(f"/profiles/{customer_id}"),
        await client.get(f"/genesys/1/cs/profiles/{customer_id}"),
        await client.post("/graphql", json={"query": "{ serverStatus }"}),
        await client.get("/openapi.json"),
        await client.get("/metrics"),
        await client.get("/server/status", headers={"authorization": ""}),  # anonymous probe
        await client.get("/profiles/0000000000000000"),  # 404
        await client.get("/no/such/path"),
        await client.delete("/services/start"),  # 405
        await client.post("/profiles", content=b"{not json", headers={"content-type": "application/json"}),
        await client.post("/profiles", content=b"x" * 5000),  # 413 from the body limit
        await client.get("/ui", headers={"authorization": ""}),  # 401 from authentication
        await client.get("/ui", headers={"authorization": "Bearer wrong-key-0123456789"}),
        await client.post("/profiles", json={}, headers={"origin": "https://evil.example"}),  # 403 cross-site
    ]
    assert [r.status_code for r in answers] == [200] * 10 + [404, 404, 405, 400, 413, 401, 401, 403]
    caching = {2: "no-cache", 3: "no-cache", 4: "private", 5: "private"}  # shipped assets; the profile's ETag
    for n, answer in enumerate(answers):
        _assert_page_headers(answer, cache=caching.get(n, "no-store"))
    asset = answers[3]
    again = await client.get("/static/vendor/graphiql.min.css", headers={"if-none-match": asset.headers["etag"]})
    assert again.status_code == 304  # a browser asks again and keeps what it has


async def test_stored_content_is_sandboxed_with_nothing_allowed(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    recorded = await client.post(
        "/interactions",
        json={
            "interaction_id": "content-1",
            "customer_id": customer_id,
            "entity_type": 2,
            "media_type": "email",
            "type": "Inbound",
            "status": 3,
            "creator_app_id": 1,
            "start_date": "2024-01-01T10:00:00Z",
            "text": "<script>alert(1)</script>",
            "structured_text": "<html><script>alert(1)</script></html>",
            "structured_text_mime": "text/html",
            "binary_content": base64.b64encode(svg).decode(),
            "binary_content_mime": "image/svg+xml",
            "binary_content_size": len(svg),
        },
    )
    assert recorded.status_code == 201, recorded.text
    for prefix in ("", "/genesys/1/cs"):
        for path in ("plain_text", "structured_text", "binary_content"):
            response = await client.get(f"{prefix}/interactions/content-1/{path}")
            assert response.status_code == 200
            assert len(response.headers.get_list("content-security-policy")) == 1
            directives = _directives(response)
            assert directives["sandbox"] == "sandbox"  # an origin of its own, scripts off
            assert directives["default-src"] == "default-src 'none'"
            assert directives["frame-ancestors"] == "frame-ancestors 'none'"
            assert "script-src" not in directives
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["cache-control"] == "no-store"
            if path != "plain_text":
                assert response.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "host",
    [
        b"evil; script-src *",
        b"a.example, b.example",
        b"a.example 'unsafe-inline'",
        b"a.example:80/x",
        b"\xc3\xa9.example",
        b"",
        b"[::1]:8080; frame-ancestors *",
    ],
)
def test_a_hostile_host_header_cannot_change_the_policy(host: bytes) -> None:
    policy = policy_for(host).decode("latin-1")
    assert policy.endswith("; connect-src 'self'")
    assert policy.count(";") == policy_for(b"127.0.0.1:8080").decode().count(";")
    assert policy_for(b"[::1]:8080").endswith(b"connect-src 'self' ws://[::1]:8080 wss://[::1]:8080")


async def _private(_request: Request) -> Response:
    return PlainTextResponse("yours", headers={"Cache-Control": "private", "Vary": "Authorization"})


async def _framed(_request: Request) -> Response:
    return PlainTextResponse("own", headers={"Content-Security-Policy": "default-src 'none'; sandbox"})


async def test_an_answer_that_chose_its_caching_or_policy_keeps_it() -> None:
    app = SecurityHeaders(Starlette(routes=[Route("/private", _private), Route("/framed", _framed)]))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://host") as client:
        private = await client.get("/private")
        framed = await client.get("/framed")
    assert private.headers.get_list("cache-control") == ["private"]
    assert private.headers["vary"] == "Authorization"
    assert private.headers["x-frame-options"] == "DENY"
    assert framed.headers.get_list("content-security-policy") == ["default-src 'none'; sandbox"]
    assert framed.headers["cache-control"] == "no-store"
