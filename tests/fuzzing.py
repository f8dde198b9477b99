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
from hypothesis import strategies as st

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


# Values that once broke a write (issue 15): times outside years 1-9999 after their offset, NUL,
# CR/LF and non-ASCII where a header carries the value, reserved words in Unicode disguise,
# invisible characters, a lone surrogate, and values of the wrong JSON type. `hostile_values()`
# draws them for generated requests; test_hostile_values.py puts each into every field it knows.
HOSTILE_TIMES = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999-00:01",
    "0000-01-01T00:00:00Z",
    "2009-02-30T00:00:00Z",
    "2009-05-07T24:00:01",
    "2009-05-07T12:00:00+24:00",
    "1e9",
    "",
]
HOSTILE_TEXT = [
    "a\x00b",
    "text/html\r\nSet-Cookie: a=b",
    'text/html; charset="\u20ac"',
    "text/\u2028html",
    "\u017felect",  # select with a long s
    "\uff33\uff25\uff2c\uff25\uff23\uff34",  # full-width SELECT
    "select\u200b",
    "\ufeff",
    "\ud800",  # a lone surrogate: no UTF-8 encodes it
    "\u00fc\u20ac/?#%",
    "\u00b2",  # a digit to str.isdigit, not to int
    "9" * 5000,  # more digits than int() takes from a string
    "x" * 70_000,
]
HOSTILE_OTHER: list[Any] = [0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1e308, True, [], {}, [1, "a"], {"a": {"b": 1}}]
HOSTILE_VALUES: list[Any] = HOSTILE_TIMES + HOSTILE_TEXT + HOSTILE_OTHER


def hostile_values() -> st.SearchStrategy[Any]:
    """One of HOSTILE_VALUES, or hypothesis's own text (which finds surrogates and controls too)."""
    return st.sampled_from(HOSTILE_VALUES) | st.text(max_size=12)
