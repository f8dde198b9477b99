"""The encryption keys from the operator's side (README "Encryption at rest"): `contextgraph
encryption rotate` re-encrypts under a new key while a server keeps serving, the old key can then be
removed; `export`/`import` restore a lost key file; a server whose keys cannot read the encrypted
values refuses to start, saying why.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from contextgraph.resolvers.encryption.keys import DataKeys
from tests.servers import AUTH, COMMAND, KEY, free_port, wait_ready

SECRET = "sk-live-never-in-the-clear"
SCHEMA = {
    "name": "Vault",
    "type": "single-valued",
    "attributes": [{"name": "token", "type": "string", "encrypt": True}, {"name": "kind", "type": "string"}],
}


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    return clean | {
        "CONTEXTGRAPH_DATABASE": database_url,
        "CONTEXTGRAPH_ENCRYPTION_KEY_FILE": str(tmp_path / "contextgraph.keys"),
        "CONTEXTGRAPH_BOOTSTRAP_KEY": KEY,
    }


def _cli(tmp_path: Path, database_url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [COMMAND, "encryption", *args], env=_env(tmp_path, database_url), capture_output=True, text=True, check=False
    )
    assert (done.returncode == 0) == ok, done.stderr
    return done


def _seed(url: str) -> str:
    created = httpx.post(f"{url}/metadata/services/extensions", json=SCHEMA, headers=AUTH)
    assert created.status_code == 201, created.text
    customer = httpx.post(f"{url}/profiles", json={"FirstName": "Ada"}, headers=AUTH).json()["customer_id"]
    body = {"customer_id": customer, "service_type": 1, "Vault": {"token": SECRET, "kind": "api"}}
    started = httpx.post(f"{url}/services/start", json=body, headers=AUTH)
    assert started.status_code == 201, started.text
    return str(started.json()["service_id"])


def _vault(url: str, service: str) -> Any:
    answer = httpx.get(f"{url}/services/{service}?extensions=Vault", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()["Vault"]


def _start(tmp_path: Path, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with open(tmp_path / f"serve-{port}.log", "wb") as log:  # the process keeps its own descriptor
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_env(tmp_path, database_url),
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return process, url


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


def test_rotation_re_encrypts_under_a_running_server_and_the_old_key_can_go(tmp_path: Path, database_url: str) -> None:
    process, url = _start(tmp_path, database_url)
    try:
        service = _seed(url)
        old = DataKeys.loads((tmp_path / "contextgraph.keys").read_text()).current
        rotated = json.loads(_cli(tmp_path, database_url, "rotate", "--batch-size", "1").stdout)
        assert rotated["current"] != old
        assert rotated["old_keys"] == [old]
        assert rotated["reencrypted"] == 1
        assert rotated["records_per_key"] == {rotated["current"]: 1}
        # The running server reads the re-encrypted value and writes with the new key.
        assert _vault(url, service) == {"token": SECRET, "kind": "api"}
        time.sleep(1.2)  # a refresh_interval or two: it has taken the new key file
        second = _seed_second(url)
        status = json.loads(_cli(tmp_path, database_url, "status").stdout)
        assert status["records_per_key"] == {rotated["current"]: 2}
        assert status["listed_by_database"] == [rotated["current"]]
        # No value is under the old key any more: it can be removed, and everything still reads.
        refused = _cli(tmp_path, database_url, "remove-key", rotated["current"], ok=False)
        assert "current key" in refused.stderr
        removed = json.loads(_cli(tmp_path, database_url, "remove-key", old).stdout)
        assert removed["keys"] == [rotated["current"]]
        assert old not in (tmp_path / "contextgraph.keys").read_text()
        assert stat.S_IMODE((tmp_path / "contextgraph.keys").stat().st_mode) == 0o600
        assert _vault(url, service) == {"token": SECRET, "kind": "api"}
        assert _vault(url, second) == {"token": SECRET, "kind": "api"}
        # Resuming a finished rotation changes nothing.
        assert json.loads(_cli(tmp_path, database_url, "rotate", "--resume").stdout)["reencrypted"] == 0
    finally:
        _stop(process)


def _seed_second(url: str) -> str:
    customer = httpx.post(f"{url}/profiles", json={"FirstName": "Bob"}, headers=AUTH).json()["customer_id"]
    body = {"customer_id": customer, "service_type": 1, "Vault": {"token": SECRET, "kind": "api"}}
    return str(httpx.post(f"{url}/services/start", json=body, headers=AUTH).json()["service_id"])


def _serve_refused(tmp_path: Path, database_url: str) -> str:
    done = subprocess.run(
        [COMMAND, "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=_env(tmp_path, database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0, done.stderr
    return done.stderr


def test_without_its_key_the_server_refuses_to_start_and_an_exported_key_restores_it(
    tmp_path: Path, database_url: str
) -> None:
    key_file = tmp_path / "contextgraph.keys"
    process, url = _start(tmp_path, database_url)
    try:
        service = _seed(url)
    finally:
        _stop(process)
    backup = tmp_path / "backup" / "keys.json"
    backup.parent.mkdir()
    _cli(tmp_path, database_url, "export", "--output", str(backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert _cli(tmp_path, database_url, "export").stdout == key_file.read_text()
    # The key file lost: refused, never a new key made over the old data.
    key_file.unlink()
    assert "refusing to start" in _serve_refused(tmp_path, database_url)
    assert not key_file.exists()
    # Another key in its place: refused too.
    key_file.write_text(DataKeys.generate().dumps())
    assert "refusing to start" in _serve_refused(tmp_path, database_url)
    imported = _cli(tmp_path, database_url, "import", str(backup), ok=False)  # its index key is another's
    assert "index key" in imported.stderr
    key_file.unlink()
    _cli(tmp_path, database_url, "import", str(backup))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    process, url = _start(tmp_path, database_url)
    try:
        assert _vault(url, service) == {"token": SECRET, "kind": "api"}
    finally:
        _stop(process)


def test_the_commands_name_a_bad_file_and_warn_of_a_key_file_others_can_read(tmp_path: Path, database_url: str) -> None:
    """A folder, a missing file or one there already is a one-line refusal (a folder was a traceback);
    a key file others may read or change is reported by `encryption status`, with the fix."""
    (tmp_path / "there.keys").write_text("x")
    for args, says in [
        (("import", str(tmp_path)), "Is a directory"),
        (("import", str(tmp_path / "missing.keys")), "No such file"),
    ]:
        done = _cli(tmp_path, database_url, *args, ok=False)
        assert "Traceback" not in done.stderr
        assert says in done.stderr, done.stderr
        assert str(tmp_path) in done.stderr, done.stderr
    key_file = tmp_path / "contextgraph.keys"
    key_file.write_text(DataKeys.generate().dumps())
    refused = _cli(tmp_path, database_url, "export", "--output", str(tmp_path / "there.keys"), ok=False)
    assert "Traceback" not in refused.stderr
    assert "File exists" in refused.stderr, refused.stderr
    key_file.chmod(0o600)
    assert "warning" not in json.loads(_cli(tmp_path, database_url, "status").stdout)
    key_file.chmod(0o644)
    status = json.loads(_cli(tmp_path, database_url, "status").stdout)
    assert "0644" in status["warning"], status
    assert "chmod 600" in status["warning"], status
