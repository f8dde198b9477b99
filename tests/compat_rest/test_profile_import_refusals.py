"""Bulk Profile Import refusals (issue 15, item 11): every ill-typed description is a 400 before a
row is read, over REST, GraphQL and the command line, and writes nothing; a NUL in the CSV is
refused alike on both databases; `batch-size` is bounded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.bounds import IMPORT_BATCH
from tests.compat_rest.test_profile_import import CSV, _import, _profiles
from tests.conftest import snapshot
from tests.helpers import assert_error
from tests.servers import COMMAND


async def _import_raw(client: httpx.AsyncClient, description: str, csv: bytes | None) -> httpx.Response:
    files: dict[str, Any] = {"description": (None, description, "application/json")}
    if csv is not None:
        files["profiles"] = ("profiles.csv", csv, "text/csv")
    return await client.post("/profiles/import", files=files)


ILL_TYPED = [  # found by a red team: each was a 500 (issue 15, item 11)
    ('{"format": "csv", "profiles": 123}', "profiles"),
    ('{"format": "csv", "profiles": ["a.csv"]}', "profiles"),
    ('{"format": "csv", "profiles": {}}', "profiles"),
    ('{"format": "csv", "profiles": true}', "profiles"),
    ('{"format": "csv", "profiles": "a\\u0000.csv"}', "NUL"),
    ('{"format": "csv", "id-key": 5}', "id-key"),
    ('{"format": "csv", "id-key": "noSuchKey"}', "id-key"),
    ('{"format": "csv", "encoding": "undefined"}', "encoding"),
    ('{"format": "csv", "encoding": "rot13"}', "encoding"),
    ('{"format": "csv", "encoding": "base64"}', "encoding"),
    ('{"format": "csv", "encoding": 8}', "encoding"),
    ('{"format": "csv", "delimiter": "\\u0000"}', "NUL"),
    ('{"format": "csv", "batch-size": 1000000000}', "batch-size"),
    ('{"format": "csv", "batch-size": 10001}', "from 1 to 10000"),
    ('{"format": "csv", "batch-size": "\u00b2"}', "batch-size"),
    ('{"format": "csv", "max-errors": "' + "9" * 5000 + '"}', "max-errors"),
    ("123", "description"),
    ('["format", "csv"]', "description"),
    ("true", "description"),
    ("{}", "format"),
]


@pytest.mark.parametrize(("description", "fragment"), ILL_TYPED)
@pytest.mark.parametrize("upload", [True, False])
async def test_ill_typed_descriptions_are_400_and_write_nothing(
    app: Starlette, client: httpx.AsyncClient, description: str, fragment: str, upload: bool
) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    before = await snapshot(app)
    csv = b"FirstName\r\nAda\r\n" if upload else None
    assert_error(await _import_raw(client, description, csv), 400, method="POST", fragment=fragment)
    assert await snapshot(app) == before


class TestIllTypedServerSidePaths:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "imports").mkdir()
        return {"import_dir": str(tmp_path / "imports")}

    @pytest.mark.parametrize("path", ["123", '["a.csv"]', "{}", "true", '"a\\u0000.csv"', '""'])
    async def test_a_path_that_is_no_file_name_is_400(
        self, app: Starlette, client: httpx.AsyncClient, path: str
    ) -> None:
        await client.post("/server/mode", json={"mode": "maintenance"})
        before = await snapshot(app)
        answer = await _import_raw(client, f'{{"format": "csv", "profiles": {path}}}', None)
        assert_error(answer, 400, method="POST")
        assert await snapshot(app) == before


async def test_utf16_declared_for_utf8_data_is_400(app: Starlette, client: httpx.AsyncClient) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    before = await snapshot(app)
    for csv in (CSV.encode(), b"FirstName\r\nAda\r\n", b"FirstName\r\nAd\r\n"):
        answer = await _import(client, {"format": "csv", "encoding": "utf-16"}, csv)
        assert_error(answer, 400, method="POST", fragment="utf-16")
    assert await snapshot(app) == before


async def test_a_nul_in_the_csv_is_a_row_error_on_both_databases(app: Starlette, client: httpx.AsyncClient) -> None:
    """PostgreSQL cannot store NUL in text (it answered 500) and SQLite stored it: both report it."""
    await client.post("/server/mode", json={"mode": "maintenance"})
    report = await _import(client, {"format": "csv"}, "FirstName,LastName\r\nA\x00da,L\r\nGrace,Hopper\r\n")
    assert report.status_code == 200, report.text
    assert report.json()["imported"] == 1
    assert [(e["index"], "NUL" in e["reason"]) for e in report.json()["errors"]] == [(0, True)]
    assert [p["FirstName"] for p in await _profiles(app)] == ["Grace"]
    before = await snapshot(app)
    header = await _import(client, {"format": "csv"}, "First\x00Name\r\nAda\r\n")
    assert_error(header, 400, method="POST", fragment="NUL")
    assert await snapshot(app) == before


async def test_the_largest_batch_imports(app: Starlette, client: httpx.AsyncClient) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    csv = "FirstName\r\n" + "".join(f"P{n}\r\n" for n in range(IMPORT_BATCH + 5))
    report = (await _import(client, {"format": "csv", "batch-size": IMPORT_BATCH}, csv)).json()
    assert (report["imported"], report["errors"]) == (IMPORT_BATCH + 5, [])


@pytest.mark.parametrize("description", ["7", '"csv"', '{"encoding": "undefined"}', '{"batch-size": 99999999}'])
async def test_graphql_import_refuses_ill_typed_descriptions(
    app: Starlette, client: httpx.AsyncClient, description: str
) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    before = await snapshot(app)
    operations = {
        "query": "mutation($csv: Upload!, $d: JSON!) { importProfiles(csv: $csv, description: $d) }",
        "variables": {"csv": None, "d": json.loads(description)},
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.csv"]})},
        files={"0": ("p.csv", b"FirstName\r\nAda\r\n", "text/csv")},
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["status"] == 400, error
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--batch-size", "1000000000"], "batch-size"),
        (["--batch-size", "0"], "batch-size"),
        (["--encoding", "undefined"], "encoding"),
        (["--encoding", "utf-16"], "utf-16"),
        (["--id-key", "noSuchKey"], "id-key"),
    ],
)
def test_command_line_import_refuses_bad_options(tmp_path: Path, flags: list[str], fragment: str) -> None:
    csv = tmp_path / "profiles.csv"
    csv.write_text("FirstName\nAda\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    database = f"sqlite:///{tmp_path / 'cg.db'}"
    result = subprocess.run(
        [COMMAND, "import-profiles", str(csv), "--database", database, "--quiet", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
