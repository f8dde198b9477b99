"""What the fuzzing tests share: a real server on SQLite and on PostgreSQL (a module-scoped fixture,
its log checked for unexpected errors at the end), the number of examples (`make test`: a few;
`make fuzz`: CONTEXTGRAPH_FUZZ_EXAMPLES), and what every answer must be: not a 5xx, not a masked
GraphQL error, and within LIMIT seconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.conftest import _pg_admin, _pg_database_url
from tests.servers import COMMAND, KEY, free_port, wait_ready

EXAMPLES = int(os.environ.get("CONTEXTGRAPH_FUZZ_EXAMPLES", "4"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 10,
    database=None,
    suppress_health_check=list(HealthCheck),
)
LIMIT = 5.0  # seconds any one answer may take
MASKED = "Unexpected error"


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
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--database", url],
            env=env | {"CONTEXTGRAPH_BOOTSTRAP_KEY": KEY, "CONTEXTGRAPH_RATE_LIMIT": "0"},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(10)
    log_text = (folder / "server.log").read_text()
    assert "unexpected error" not in log_text, log_text[-3000:]


def answered(response: Any) -> None:
    """A schemathesis or httpx response: not a 5xx, within LIMIT seconds."""
    request = response.request
    elapsed = response.elapsed if isinstance(response.elapsed, float) else response.elapsed.total_seconds()
    assert response.status_code < 500, (request.method, str(request.url), response.status_code, response.text[:500])
    assert elapsed < LIMIT, (request.method, str(request.url), f"{elapsed:.1f} s", (request.content or b"")[:500])


def graphql_answered(response: Any) -> None:
    """`answered`, and every GraphQL error one of ours (a status under 500), none masked."""
    answered(response)
    if response.status_code == 400 and response.headers.get("content-type", "").startswith("text/plain"):
        return  # Strawberry's refusal of a body it cannot read (bad JSON, nested too deep): never executed
    body = response.json()  # every other GraphQL answer is JSON, refusals included
    for error in (body.get("errors") if isinstance(body, dict) else None) or []:
        assert (error.get("extensions") or {}).get("status", 400) < 500, (
            (response.request.content or b"")[:500],
            error,
        )
        assert MASKED not in error.get("message", ""), ((response.request.content or b"")[:500], error)
