"""Bulk Profile Import over HTTP (multipart) and from the command line."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contextgraph.resolvers.bounds import IMPORT_BATCH
from tests.conftest import snapshot
from tests.helpers import assert_error, new_schema
from tests.servers import COMMAND

ADDRESS = {
    "name": "Address",
    "type": "single-valued",
    "attributes": [{"name": "AddressType", "type": "integer"}, {"name": "City", "type": "string"}],
}
CSV = (
    "FirstName,LastName,EmailAddress[2],EmailAddress[1],Address.AddressType,Address.City\r\n"
    'kertu,gusch,k2@gusch.net,k1@gusch.net,7,"Fullerton, CA"\r\n'
    "danye,hna,,d@hna.net,6,Kailua\r\n"
    "almady,vanah,,a@vanah.net,no-integer,Irving\r\n"
    "julau,mosess,,j@m.net\r\n"
    'lonni,mi,,l@mi.net,1,"multi\nline"\r\n'
)


async def _import(
    client: httpx.AsyncClient, description: dict[str, Any], csv: str | bytes | None = CSV
) -> httpx.Response:
    files: dict[str, Any] = {"description": (None, json.dumps(description), "application/json")}
    if csv is not None:
        files["profiles"] = ("profiles.csv", csv.encode() if isinstance(csv, str) else csv, "text/csv")
    return await client.post("/profiles/import", files=files)


async def _maintenance(client: httpx.AsyncClient) -> None:
    await client.post("/server/mode", json={"mode": "maintenance"})
    await new_schema(client, "profiles", ADDRESS)


async def _profiles(app: Starlette) -> list[dict[str, Any]]:
    rows = (await snapshot(app))["customer"]
    return sorted((row[1] for row in rows), key=lambda a: a.get("FirstName", ""))


async def test_import_reports_bad_rows_and_imports_the_rest(app: Starlette, client: httpx.AsyncClient) -> None:
    await _maintenance(client)
    response = await _import(client, {"format": "CSV", "batch-size": 2})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] == 3
    assert [e["index"] for e in report["errors"]] == [2, 3]
    assert "is an invalid value for type 'integer'" in report["errors"][0]["reason"]
    assert "number of profile attributes" in report["errors"][1]["reason"]
    assert report["ambiguous"] == []
    profiles = await _profiles(app)
    assert profiles[1] == {"FirstName": "kertu", "LastName": "gusch", "EmailAddress": ["k1@gusch.net", "k2@gusch.net"]}
    assert profiles[2]["FirstName"] == "lonni"


async def test_import_start_index_max_errors_delimiter_and_encoding(app: Starlette, client: httpx.AsyncClient) -> None:
    await _maintenance(client)
    latin = "FirstName;LastName\r\nJosé;Müller\r\nAna;Ibáñez\r\n".encode("latin-1")
    report = (
        await _import(client, {"format": "csv", "delimiter": ";", "encoding": "latin-1", "start-from-index": 1}, latin)
    ).json()
    assert report["imported"] == 1
    assert [p["LastName"] for p in await _profiles(app)] == ["Ibáñez"]
    bad = "FirstName\r\n" + "".join(f'"{n}\r\nx"y\r\n' for n in range(5))
    stopped = (await _import(client, {"format": "csv", "max-errors": 1}, bad)).json()
    assert stopped["stopped"] is True
    assert len(stopped["errors"]) == 2


async def test_import_with_an_id_key_skips_known_and_reports_ambiguous(client: httpx.AsyncClient) -> None:
    await _maintenance(client)
    assert (
        await client.post("/metadata/identification-keys", json={"name": "idLast", "attributes": ["LastName"]})
    ).status_code == 201
    first = (await _import(client, {"format": "csv"}, "FirstName,LastName\r\nA,Doe\r\nB,Doe\r\nC,Roe\r\n")).json()
    assert first["imported"] == 3
    again = (
        await _import(
            client, {"format": "csv", "id-key": "idLast"}, "FirstName,LastName\r\nD,Doe\r\nE,Roe\r\nF,Poe\r\n"
        )
    ).json()
    assert again["imported"] == 1
    assert again["skipped"] == 1
    assert [a["index"] for a in again["ambiguous"]] == [0]
    assert "already matching" in again["ambiguous"][0]["reason"]


async def test_unique_key_violations_are_row_errors(client: httpx.AsyncClient) -> None:
    await _maintenance(client)
    key = {"name": "idMail", "attributes": ["EmailAddress"], "unique": True}
    assert (await client.post("/metadata/identification-keys", json=key)).status_code == 201
    csv = "EmailAddress\r\na@x\r\nb@x\r\na@x\r\nc@x\r\n"
    report = (await _import(client, {"format": "csv", "batch-size": 10}, csv)).json()
    assert report["imported"] == 3
    assert [e["index"] for e in report["errors"]] == [2]


async def test_refusals_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    before = await snapshot(app)
    assert_error(await _import(client, {"format": "csv"}), 403, method="POST", fragment="maintenance")
    await client.post("/server/mode", json={"mode": "maintenance"})
    before = await snapshot(app)
    assert_error(await _import(client, {"format": "json"}), 400, method="POST", fragment="format")
    assert_error(await _import(client, {"format": "csv", "batch-size": 0}), 400, method="POST", fragment="batch-size")
    assert_error(await _import(client, {"format": "csv", "colour": "red"}), 400, method="POST", fragment="colour")
    assert_error(await _import(client, {"format": "csv"}, "Shoe\r\n42\r\n"), 400, method="POST", fragment="Shoe")
    assert_error(await _import(client, {"format": "csv"}, None), 400, method="POST", fragment="profiles")
    assert_error(await _import(client, {"format": "csv", "profiles": "/etc/passwd"}, None), 400, method="POST")
    assert_error(
        await _import(client, {"format": "csv"}, "FirstName\r\n\xff\r\n".encode("latin-1")),
        400,
        method="POST",
        fragment="encoding",
    )
    assert_error(await client.post("/profiles/import", json={"format": "csv"}), 415, method="POST")
    assert await snapshot(app) == before


class TestServerSideFiles:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "imports").mkdir()
        (tmp_path / "imports" / "batch.csv").write_text("FirstName\r\nAda\r\n")
        (tmp_path / "secret.csv").write_text("FirstName\r\nEve\r\n")
        return {"import_dir": str(tmp_path / "imports")}

    async def test_only_inside_the_import_directory(self, app: Starlette, client: httpx.AsyncClient) -> None:
        await client.post("/server/mode", json={"mode": "maintenance"})
        for path in ("../secret.csv", "/etc/passwd", "missing.csv"):
            assert_error(await _import(client, {"format": "csv", "profiles": path}, None), 400, method="POST")
        report = (await _import(client, {"format": "csv", "profiles": "batch.csv"}, None)).json()
        assert report["imported"] == 1
        assert [p["FirstName"] for p in await _profiles(app)] == ["Ada"]


def test_command_line_import(tmp_path: Path) -> None:
    csv = tmp_path / "profiles.csv"
    csv.write_text("FirstName,LastName\n" + "".join(f"F{n},L{n}\n" for n in range(2500)) + "x,y,z\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    terminal, screen = pty.openpty()  # the progress bar shows on a terminal only (80 columns here)
    fcntl.ioctl(screen, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    result = subprocess.run(
        [COMMAND, "import-profiles", str(csv), "--database", f"sqlite:///{tmp_path / 'cg.db'}", "--batch-size", "1000"],
        stdout=subprocess.PIPE,
        stderr=screen,
        text=True,
        env=env,
        timeout=120,
    )
    os.close(screen)
    chunks = []
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the terminal's other end is closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(terminal)
    shown = b"".join(chunks).decode(errors="replace")
    assert result.returncode == 1  # one bad record
    report = json.loads(result.stdout)
    assert report["imported"] == 2500
    assert [e["index"] for e in report["errors"]] == [2500]
    assert "profiles: 100%" in shown


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
