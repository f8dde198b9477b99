"""The graphql-http audit suite (npm `graphql-http`, installed by `make test` into
tests/graphql_http) against a real server: every audit, MUST and SHOULD, passes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from tests.servers import AUTH, KEY, free_port, wait_ready

AUDIT = Path(__file__).with_name("graphql_http")


def test_every_graphql_over_http_audit_passes(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'audit.db'}")
    wait_ready(f"http://127.0.0.1:{port}", process)
    result = subprocess.run(
        ["node", "audit.mjs", f"http://127.0.0.1:{port}/graphql"],
        cwd=AUDIT,
        env=os.environ | {"CONTEXTGRAPH_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    audits = json.loads(result.stdout)
    assert len(audits) >= 60
    failed = [(a["status"], a["name"], a["reason"]) for a in audits if a["status"] != "ok"]
    assert failed == []


def test_request_errors_with_the_graphql_response_media_type(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'media.db'}")
    url = f"http://127.0.0.1:{port}/graphql"
    wait_ready(f"http://127.0.0.1:{port}", process)
    accept = {"accept": "application/graphql-response+json"}
    invalid = httpx.post(url, json={"query": "{ nope }"}, headers={**accept, **AUTH})
    assert invalid.status_code == 400
    assert invalid.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in invalid.json()
    missing = httpx.post(
        url, json={"query": '{ customer(id: "0000000000000000") { id: customerId } }'}, headers={**accept, **AUTH}
    )
    assert missing.status_code == 200  # executed: a field error keeps 200 and its data entry
    assert missing.json()["data"] is None
    plain = httpx.post(url, headers=AUTH, json={"query": "{ nope }"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/json"
