"""Memory levels off under the loads that once grew it without bound (issue 15, item 6): distinct
GraphQL queries — valid ones of ~10 KiB, 16 KiB ones that validation refuses — and subscriptions
whose clients vanish without closing, against a real server process.

Before: the collector's thresholds were raised (50 000/20/100), so cyclic garbage waited for
collections that hardly came, and Strawberry's parser and validation caches held 128 documents
each whatever their size (~1.3 MB for a 16 KiB text); RSS grew by ~5 MB a second here. The soak
(`make soak`) runs the same loads, and more, for minutes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

from tests.servers import free_port, wait_ready
from tests.soak import load

SECONDS = 20


def test_memory_levels_off_under_distinct_queries_and_abandoned_subscriptions(
    serve: Callable[..., Popen[bytes]], tmp_path: Path
) -> None:
    port = free_port()
    server = serve(
        "--port", str(port), "--database", f"sqlite:///{tmp_path / 'memory.db'}", env={"CONTEXTGRAPH_RATE_LIMIT": "0"}
    )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, server)

    async def soak() -> tuple[list[tuple[float, float]], load.Tally]:
        seeded = await load.seed(base)
        stop, tally = asyncio.Event(), load.Tally()
        loads = [
            load.distinct_queries(base, stop, tally, seeded, period=0),
            load.abandoned_subscriptions(base, stop, tally, seeded, period=0.02),
        ]
        return await load.watched(server.pid, SECONDS, stop, loads), tally

    samples, tally = asyncio.run(soak())
    started, half, end = samples[0][1], load.rss_at(samples, SECONDS / 2), samples[-1][1]
    figures = f"RSS {started:.0f} → {half:.0f} → {end:.0f} MB; {dict(tally.events)}"
    assert not tally.failures, (tally.failures, figures)
    assert tally.server_errors == 0, figures
    assert tally.events["refused queries"] > 50, figures
    assert tally.events["abandoned subscriptions"] > 100, figures
    assert end <= half * 1.05, figures  # level by half-time
    assert end - started < 60, figures  # every cache of documents is bounded by the size of its texts


def test_a_vanished_subscriber_leaves_nothing_behind(serve: Callable[..., Popen[bytes]], tmp_path: Path) -> None:
    """A subscriber that drops its connection while its subscription waits for the next event: the
    wait is ended with it (it once waited forever, holding the subscription, ~75 KB each, and logged
    two tracebacks: "aclose(): asynchronous generator is already running").
    """
    port = free_port()
    server = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'gone.db'}")
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, server)

    async def vanish(count: int) -> None:
        seeded = await load.seed(base)
        stop, tally = asyncio.Event(), load.Tally()
        work = asyncio.ensure_future(load.abandoned_subscriptions(base, stop, tally, seeded, period=0))
        while tally.events["abandoned subscriptions"] < count and not work.done():  # noqa: ASYNC110 (a count, not an event)
            await asyncio.sleep(0.1)
        stop.set()
        await work
        assert not tally.failures, tally.failures

    asyncio.run(vanish(50))  # warmed up
    before = load.rss_mb(server.pid)
    asyncio.run(vanish(400))
    time.sleep(0.5)
    grown = load.rss_mb(server.pid) - before
    assert grown < 8, f"RSS grew {grown:.1f} MB over 400 vanished subscribers"
    log = (tmp_path / "server-0.log").read_text()
    assert "Traceback" not in log, log[:2000]
