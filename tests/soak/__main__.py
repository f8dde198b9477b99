"""`make soak`: a real server on loopback, on SQLite and (when CONTEXTGRAPH_TEST_POSTGRES names a
server, as scripts/with-postgres.sh does) PostgreSQL, under every load of load.py at once for
`--seconds` each, with its default settings but the per-key rate limit (off, so normal traffic is
not 429), after a warm-up that fills the server's bounded caches of documents (120 distinct queries).
Prints the figures; exits 1 if, on either database:
- RSS at the end exceeds RSS at half-time by more than 5 %;
- the readiness probe's p99 exceeds 100 ms;
- any answer is a 5xx, a normal request fails, or the server logs an unexpected error;
- a slowloris connection outlives the header timeout (plus 2 s of slack);
- the guessing address gets more wrong keys answered 401 than the throttle allows one worker.

    python -m tests.soak [--seconds 250] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx

from contextgraph.app.settings import Settings
from tests.servers import AUTH, COMMAND, KEY, free_port, wait_ready
from tests.soak import load

GROWTH, PROBE_P99_MS, SLACK = 0.05, 100.0, 2.0
HEADER_TIMEOUT = Settings.model_fields["header_timeout"].default
# Wrong keys one address may send a minute, per worker process (each keeps its own buckets, README):
# the soak's one worker lets through at most a full bucket plus what refills meanwhile.
WRONG_KEYS = Settings.model_fields["auth_failures_per_minute"].default


async def _fresh_postgres(admin_url: str) -> str:
    name = f"soak_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


WARM_UP = 120  # distinct queries, enough to fill the server's bounded caches of documents


async def _soak(
    base: str, port: int, pid: int, seconds: float
) -> tuple[float, list[tuple[float, float]], load.Tally, float]:
    """RSS before the warm-up, the RSS samples, what the loads saw, and the share of one core the
    server used meanwhile.
    """
    seeded = await load.seed(base)
    started = load.rss_mb(pid)
    stop, tally = asyncio.Event(), load.Tally()
    # Fill the bounded caches first: what the soak measures is whether memory grows past them.
    async with httpx.AsyncClient(base_url=base, headers=AUTH, timeout=30) as http:
        for n in range(WARM_UP):
            await load.distinct_query(http, tally, seeded, 1_000_000 + n)
    # Rates that leave the server (one process, one core) room: the soak looks for leaks and
    # stalls, not for the most it can take (bench/ measures that).
    loads = [
        load.status_probe(base, seconds, tally, period=0.1),
        load.normal_traffic(base, stop, tally, seeded, period=0.2),
        load.distinct_queries(base, stop, tally, seeded, period=0.5),
        load.abandoned_subscriptions(base, stop, tally, seeded, period=0.25),
        load.wrong_keys(base, stop, tally, period=0.5),
        load.slowloris("127.0.0.1", port, stop, tally, connections=100, trickle=2.0),
    ]
    cpu = load.cpu_seconds(pid)
    samples = await load.watched(pid, seconds, stop, loads)
    return started, samples, tally, (load.cpu_seconds(pid) - cpu) / samples[-1][0]


def run(database: str, seconds: float, folder: Path) -> list[str]:
    """Soak one server on `database`; the figures are printed, the problems answered."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    env |= {"CONTEXTGRAPH_BOOTSTRAP_KEY": KEY, "CONTEXTGRAPH_RATE_LIMIT": "0"}
    log = folder / f"server-{database.split(':')[0]}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--database", database, "--log-level", "warning"],
            env=env,
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        started, samples, tally, cpu = asyncio.run(_soak(base, port, server.pid, seconds))
    finally:
        server.terminate()
        server.wait(30)
    return _report(database.split(":")[0], started, samples, tally, cpu, log.read_text(errors="replace"))


def _report(
    name: str, started: float, samples: list[tuple[float, float]], tally: load.Tally, cpu: float, log: str
) -> list[str]:
    seconds = samples[-1][0]
    start, half, end = samples[0][1], load.rss_at(samples, seconds / 2), samples[-1][1]
    p50, p99 = load.percentile(tally.probe_ms, 0.5), load.percentile(tally.probe_ms, 0.99)
    limit = HEADER_TIMEOUT + SLACK
    closed, still_open = tally.slowloris_closed, tally.slowloris_open
    in_time = sum(1 for lasted in closed if lasted <= limit)
    late = [lasted for lasted in closed + still_open if lasted > limit]
    events = tally.events
    print(f"\n== soak on {name}: {seconds:.0f} s")
    print(
        f"   HTTP requests answered: {tally.requests}   5xx: {tally.server_errors}   "
        f"statuses: {dict(sorted(tally.statuses.items()))}"
    )
    print(
        f"   distinct queries: {events['valid queries']} valid, {events['refused queries']} refused; "
        f"abandoned subscriptions: {events['abandoned subscriptions']}; normal rounds: {events['normal rounds']}"
    )
    print(
        f"   wrong keys: {events['wrong keys answered 401']} x 401 (at most {WRONG_KEYS * (1 + seconds / 60):.0f} "
        f"allowed), {events['wrong keys answered 429']} x 429"
    )
    print(
        f"   slowloris: {events['slowloris opened']} opened, {len(closed)} closed by the server, {in_time} of "
        f"them within the header timeout ({HEADER_TIMEOUT:g} s + {SLACK:g} s); {len(still_open)} open at the end, "
        f"{len(late)} older than that"
    )
    print(
        f"   RSS: {started:.1f} MB before the warm-up, {start:.1f} MB at the start, {half:.1f} MB at half-time, "
        f"{end:.1f} MB at the end "
        f"({(end / half - 1) * 100:+.1f} % over the second half)"
    )
    print(
        f"   status probe: {len(tally.probe_ms)} probes, p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
        f"server CPU {cpu * 100:.0f} % of one core"
    )
    problems = [f"{name}: {failure}" for failure in tally.failures]
    if tally.server_errors:
        problems.append(f"{name}: {tally.server_errors} answers were 5xx")
    if end > half * (1 + GROWTH):
        problems.append(f"{name}: RSS grew {end - half:.1f} MB in the second half ({half:.1f} -> {end:.1f} MB)")
    if p99 > PROBE_P99_MS:
        problems.append(f"{name}: the status probe's p99 is {p99:.1f} ms (over {PROBE_P99_MS:g} ms)")
    if late:
        problems.append(
            f"{name}: {len(late)} slowloris connections outlived the header timeout (up to {max(late):.1f} s)"
        )
    if not closed:
        problems.append(f"{name}: no slowloris connection was closed")
    guessed, allowed = events["wrong keys answered 401"], WRONG_KEYS * (1 + seconds / 60) + 1
    if guessed > allowed or not events["wrong keys answered 429"]:
        problems.append(f"{name}: {guessed} wrong keys were answered 401 (the throttle allows {allowed:.0f})")
    if "unexpected error" in log or "Traceback" in log:
        at = min(i for i in (log.find("unexpected error"), log.find("Traceback")) if i >= 0)
        problems.append(f"{name}: the server logged an unexpected error:\n{log[max(0, at - 300) : at + 2500]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=250, help="how long each database is soaked (default 250)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="contextgraph-soak-") as folder:
        for kind in args.databases.split(","):
            if kind == "sqlite":
                database = f"sqlite:///{Path(folder) / 'soak.db'}"
            elif os.environ.get("CONTEXTGRAPH_TEST_POSTGRES"):
                database = asyncio.run(_fresh_postgres(os.environ["CONTEXTGRAPH_TEST_POSTGRES"]))
            else:
                print("\n== PostgreSQL skipped: CONTEXTGRAPH_TEST_POSTGRES is not set (make soak sets it)")
                continue
            problems += run(database, args.seconds, Path(folder))
    print("\nsoak passed" if not problems else "\nsoak FAILED:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
