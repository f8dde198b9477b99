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
