"""The contenders' server processes: started with their output in a log, waited for, measured (peak
resident set) and stopped — every one of them, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

_TICKS = os.sysconf("SC_CLK_TCK")


class Processes:
    """The processes of one database's run; `with Processes() as p:` stops them all at the end."""

    def __init__(self) -> None:
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_exc: object) -> None:
        for name in list(self.running):
            self.stop(name)

    def start(
        self, name: str, command: list[str], env: dict[str, str], log: Path, ready: str, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `command` and wait until `ready` (a URL) answers."""
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        self.running[name] = process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}; its log:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                httpx.get(ready, timeout=2)
                return process
            time.sleep(0.2)
        raise SystemExit(f"{name} did not answer {ready} within 60 s")

    def stop(self, name: str) -> None:
        process = self.running.pop(name)
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def settle(self, busy: float = 0.15, window: float = 0.3, timeout: float = 30) -> None:
        """Wait until the processes together use less than `busy` of a core: requests that a
        finished wrk run left behind are not worked off during the next one.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self._cpu_seconds()
            time.sleep(window)
            if self._cpu_seconds() - before < busy * window:
                return

    def _cpu_seconds(self) -> float:
        return sum(_cpu_ticks(pid) for p in self.running.values() for pid in _tree(p.pid)) / _TICKS

    def peak_rss_mb(self, name: str) -> float:
        """The process's peak resident set, its children's added (uvicorn's workers)."""
        return round(sum(_peak_kb(pid) for pid in _tree(self.running[name].pid)) / 1024, 1)


def _tree(pid: int) -> Iterator[int]:
    yield pid
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            yield from _tree(int(child))


def _cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    return 0


def _peak_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
