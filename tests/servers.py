"""Real server processes for tests where the network path or several processes matter."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

COMMAND = str(Path(sys.executable).with_name("contextgraph"))
# Every served process starts with this all-roles key (CONTEXTGRAPH_BOOTSTRAP_KEY); clients send AUTH.
KEY = "test-bootstrap-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}; see its log in the test's tmp_path")
        try:
            return httpx.get(f"{url}/server/status", timeout=1, headers=AUTH)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not answer within 30 s")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
        with open(tmp_path / f"server-{len(processes)}.log", "wb") as log:
            process = subprocess.Popen(
                [COMMAND, "serve", *args],
                cwd=tmp_path,
                env=clean | {"CONTEXTGRAPH_BOOTSTRAP_KEY": KEY} | (env or {}),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield start
    for n, process in enumerate(processes):
        process.terminate()
        assert process.wait(10) in (0, -15)  # uvicorn re-raises SIGTERM once it has shut down
        assert "Application shutdown complete" in (tmp_path / f"server-{n}.log").read_text()
