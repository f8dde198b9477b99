"""The operator contract: `contextgraph serve` with flags or CONTEXTGRAPH_* variables, real process."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx

from tests.servers import AUTH, COMMAND, free_port, wait_ready


def test_serve_with_flags_on_sqlite(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    database = tmp_path / "flags.db"
    process = serve("--port", str(port), "--database", f"sqlite:///{database}")
    url = f"http://127.0.0.1:{port}"
    assert wait_ready(url, process).json()["mode"] == "production"
    response = httpx.post(
        f"{url}/genesys/1/cs/services/start", headers=AUTH, json={"service_type": 1, "contact_key": "k"}
    )
    assert response.status_code == 201
    assert database.exists()
    assert httpx.get(f"{url}/graphql", headers={"accept": "text/html", **AUTH}).status_code == 200


def test_serve_defaults_and_environment(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve(env={"CONTEXTGRAPH_PORT": str(port)})
    wait_ready(f"http://127.0.0.1:{port}", process)
    assert (tmp_path / "contextgraph.db").exists()  # the default sqlite:///./contextgraph.db


def test_serve_on_postgresql(serve) -> None:  # type: ignore[no-untyped-def]
    url = os.environ["CONTEXTGRAPH_TEST_POSTGRES"]
    port = free_port()
    process = serve("--port", str(port), env={"CONTEXTGRAPH_DATABASE": url})
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    response = httpx.post(f"{base}/services/start", headers=AUTH, json={"service_type": 1, "contact_key": "pg"})
    service_id = response.json()["service_id"]
    assert httpx.get(f"{base}/services/{service_id}", headers=AUTH).json()["contact_key"] == "pg"


def test_config_file_and_flag_precedence(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    config = tmp_path / "cg.toml"
    config.write_text(f'port = 1\ndatabase = "sqlite:///{tmp_path / "from-config.db"}"\n')
    process = serve("--config", str(config), env={"CONTEXTGRAPH_PORT": str(port)})
    wait_ready(f"http://127.0.0.1:{port}", process)
    assert (tmp_path / "from-config.db").exists()


def test_bad_configuration_exits_with_a_message(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    result = subprocess.run(
        [COMMAND, "serve", "--database", "mysql://x"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unsupported database URL" in result.stderr
    result = subprocess.run(
        [COMMAND, "serve", "--config", "missing.toml"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 2
    assert "missing.toml" in result.stderr


def _keys(*args: str, database: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    return subprocess.run(
        [COMMAND, "keys", *args, "--database", database], capture_output=True, text=True, env=clean, cwd=cwd, timeout=60
    )


def test_keys_create_list_revoke_against_a_running_server(serve, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    created = _keys(
        "create",
        "--name",
        "desktop",
        "--roles",
        "UCS.Service.startService,UCS.Service.readService",
        database=database_url,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["secret"].startswith(f"cg_{key['id']}_")
    assert key["roles"] == ["UCS.Service.startService", "UCS.Service.readService"]
    port = free_port()
    process = serve("--port", str(port), "--database", database_url, env={"CONTEXTGRAPH_REFRESH_INTERVAL": "0.1"})
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    mine = {"Authorization": f"Bearer {key['secret']}"}
    started = httpx.post(f"{url}/services/start", headers=mine, json={"service_type": 1, "contact_key": "k"})
    assert started.status_code == 201
    assert httpx.post(f"{url}/profiles", headers=mine, json={"FirstName": "A"}).status_code == 403

    listed = _keys("list", database=database_url, cwd=tmp_path)
    assert [(k["name"], k["revoked"]) for k in json.loads(listed.stdout)] == [("desktop", None), ("bootstrap", None)]
    assert key["secret"] not in listed.stdout
    assert "secret" not in listed.stdout
    assert _keys("revoke", "desktop", database=database_url, cwd=tmp_path).returncode == 0
    deadline = time.monotonic() + 5
    while httpx.get(f"{url}/services/{started.json()['service_id']}", headers=mine).status_code != 401:
        assert time.monotonic() < deadline, "the running server still takes a revoked key"
        time.sleep(0.1)

    duplicate = _keys("create", "--name", "desktop", "--roles", "all", database=database_url, cwd=tmp_path)
    assert duplicate.returncode == 2
    assert "exists already" in duplicate.stderr
    reserved = _keys("create", "--name", "bootstrap", "--roles", "all", database=database_url, cwd=tmp_path)
    assert reserved.returncode == 2
    assert "CONTEXTGRAPH_BOOTSTRAP_KEY" in reserved.stderr
    unknown = _keys("create", "--name", "x", "--roles", "UCS.Nothing.atAll", database=database_url, cwd=tmp_path)
    assert unknown.returncode == 2
    assert "unknown role(s) UCS.Nothing.atAll" in unknown.stderr


def test_without_any_key_the_server_says_how_to_make_one(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve(
        "--port", str(port), "--database", f"sqlite:///{tmp_path / 'nokey.db'}", env={"CONTEXTGRAPH_BOOTSTRAP_KEY": ""}
    )
    url = f"http://127.0.0.1:{port}"
    assert wait_ready(url, process).status_code == 401  # the bootstrap key of the tests does not exist here
    assert httpx.get(f"{url}/server/status").json() == {"ready": True}  # the probe needs no key
    log = (tmp_path / "server-0.log").read_text()
    assert "no API key exists" in log
    assert "CONTEXTGRAPH_BOOTSTRAP_KEY" in log


def test_a_short_bootstrap_key_is_a_configuration_error(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    result = subprocess.run(
        [COMMAND, "serve"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=30,
        env=clean | {"CONTEXTGRAPH_BOOTSTRAP_KEY": "short"},
    )
    assert result.returncode == 2
    assert "at least 16 characters" in result.stderr
    assert "short" not in result.stderr.replace("at least 16 characters", "")  # the secret is not echoed
