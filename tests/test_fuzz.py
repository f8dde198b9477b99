"""Schemathesis against a real server, on SQLite and PostgreSQL: generated requests for every REST
operation of the published /openapi.json and every GraphQL root field. Whatever it sends, the server
answers within the request timeout and never with a 5xx (nor a masked "unexpected" GraphQL error).

`make test` runs a few examples per operation; `make fuzz` many (CONTEXTGRAPH_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from graphql import NameNode, ObjectFieldNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests.conftest import _pg_admin, _pg_database_url
from tests.servers import AUTH, COMMAND, KEY, free_port, wait_ready

EXAMPLES = int(os.environ.get("CONTEXTGRAPH_FUZZ_EXAMPLES", "4"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 10, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip

schemathesis.graphql.scalar("LongOrString", st.integers(0, 2**40).map(nodes.Int) | st.text(max_size=8).map(nodes.String))
schemathesis.graphql.scalar("JSON", st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3).map(
    lambda d: nodes.Object([ObjectFieldNode(name=NameNode(value=f"k{i}"), value=nodes.String(v))
                            for i, v in enumerate(d.values())])))  # fmt: skip
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'fuzz.db'}"
    else:
        template = request.getfixturevalue("pg_template")
        name = f"fuzz_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
        url = _pg_database_url(name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen([COMMAND, "serve", "--port", str(port), "--database", url],
                                   env=env | {"CONTEXTGRAPH_BOOTSTRAP_KEY": KEY, "CONTEXTGRAPH_RATE_LIMIT": "0"},
                                   stdout=log, stderr=subprocess.STDOUT, cwd=folder)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(10)
    log_text = (folder / "server.log").read_text()
    assert "unexpected error" not in log_text, log_text[-3000:]


def _fuzz(schema: Any, base: str, check: Any) -> int:
    """Every operation of `schema`, EXAMPLES generated cases each, through `check`; how many ran."""
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def each(case: Any) -> None:
            check(case.call(base_url=base, headers=AUTH, timeout=10))

        each()
        ran += 1
    return ran


def _answered(response: Any) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.status_code,
                                         response.text[:500])  # fmt: skip


def _graphql_answered(response: Any) -> None:
    _answered(response)
    body = response.json()  # every GraphQL answer is JSON, refusals included
    for error in (body.get("errors") if isinstance(body, dict) else None) or []:
        assert (error.get("extensions") or {}).get("status", 400) < 500, (response.request.body, error)


def test_rest_operations_never_fail_on_our_side(fuzz_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json", headers=AUTH)
    assert _fuzz(schema, fuzz_server, _answered) > 80


def test_graphql_fields_never_fail_on_our_side(fuzz_server: str) -> None:
    schema = schemathesis.graphql.from_url(f"{fuzz_server}/graphql", headers=AUTH)
    assert _fuzz(schema, fuzz_server, _graphql_answered) > 30


def test_the_openapi_document_lists_every_route(fuzz_server: str) -> None:
    import httpx

    from contextgraph.compat_rest.routes import route_roles

    document = httpx.get(f"{fuzz_server}/openapi.json", headers=AUTH).json()
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    expected = {(m, p.replace(":int", "").replace(":kinds", "")) for m, p, _ in route_roles()}
    assert operations == expected
    assert httpx.get(f"{fuzz_server}/openapi.json").status_code == 401  # it needs a key like the rest
