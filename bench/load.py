"""Load for the tree benchmark: wrk over loopback with a Lua script that rotates through a list of
requests (many customers, so no cache of whole answers can stand in for execution), and a writer
that changes those customers through the API at a steady rate while wrk runs.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.dataset import feedback_write

_LUA = """
local method, headers, targets, requests, n = {method}, {headers}, {targets}, {{}}, 0
init = function(args)
  for i, target in ipairs(targets) do requests[i] = wrk.format(method, target[1], headers, target[2]) end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{{"p50": %f, "p99": %f, "requests": %d, "errors": %d, "seconds": %f}}\\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.duration / 1e6))
end
"""


def _lua(text: str) -> str:
    """A Lua long string holding `text` as it is."""
    level = "="
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


@dataclass(frozen=True)
class Case:
    """One measured request: a base URL and the (path, body) pairs it rotates through."""

    base: str
    method: str
    targets: tuple[tuple[str, str | None], ...]
    headers: tuple[tuple[str, str], ...] = ()

    def lua(self) -> str:
        headers = ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in self.headers)
        targets = ", ".join(
            f"{{{_lua(path)}, {_lua(body) if body is not None else 'nil'}}}" for path, body in self.targets
        )
        return _LUA.format(method=_lua(self.method), headers=f"{{{headers}}}", targets=f"{{{targets}}}")

    def send(self, http: httpx.Client, index: int = 0) -> httpx.Response:
        path, body = self.targets[index % len(self.targets)]
        return http.request(self.method, self.base + path, content=body, headers=dict(self.headers))


def wrk(
    case: Case, connections: int, seconds: float, warmup: float, tmp: Path, settle: Callable[[], None]
) -> dict[str, float]:
    """p50/p99 (ms) and req/s of `seconds` of `connections` connections, after `warmup` seconds;
    `settle()` after each run waits until the servers have worked off what wrk left behind.
    """
    script = tmp / "wrk.lua"
    script.write_text(case.lua())
    options = [
        "-t",
        str(min(connections, 2)),
        "-c",
        str(connections),
        "--timeout",
        "60s",
        "-s",
        str(script),
        case.base + "/",
    ]
    if warmup:
        subprocess.run(["wrk", "-d", f"{warmup}s", *options], capture_output=True, check=True)
        settle()
    done = subprocess.run(["wrk", "-d", f"{seconds}s", *options], capture_output=True, text=True, check=True)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if not last.startswith("{"):
        raise SystemExit(f"wrk did not report: {done.stdout[-500:]} {done.stderr[-500:]}")
    settle()
    result: dict[str, float] = json.loads(last)
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


class Writer:
    """Replaces a Feedback record of the agent-desktop customers' services, in turn, `rate` times a
    second through the API, while it runs (`with writer.running(): …`); a slow write is caught up.
    """

    def __init__(self, base: str, headers: dict[str, str], services: list[int], rate: float) -> None:
        self.base, self.headers, self.services, self.rate = base, headers, services, rate
        self.done = self.failed = 0
        self.seconds = 0.0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=self._loop, args=(stop,), daemon=True)
        started = time.monotonic()
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.seconds += time.monotonic() - started

    def _loop(self, stop: threading.Event) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as http:
            next_at = time.monotonic()
            while not stop.wait(max(0.0, next_at - time.monotonic())):
                try:
                    ok = feedback_write(http, self.services[(self.done + self.failed) % len(self.services)], self.done)
                except httpx.HTTPError:
                    ok = False
                self.done, self.failed = self.done + ok, self.failed + (not ok)
                next_at += 1 / self.rate
