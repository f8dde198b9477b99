"""SQL statements per request, counted where the statements arrive: PostgreSQL's pg_stat_statements
(every statement a contender's connections send to its own database, BEGIN and the like included);
on SQLite the server's `contextgraph_sql_statements_total` and the strict floor's own count.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from bench.load import Case


async def _admin(url: str, sql: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


class PgStatements:
    """pg_stat_statements of the benchmark's PostgreSQL, read through its admin database."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def available(self) -> bool:
        try:
            asyncio.run(_admin(self.admin_url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            asyncio.run(_admin(self.admin_url, "SELECT 1 FROM pg_stat_statements LIMIT 1"))
        except asyncpg.PostgresError as error:
            print(
                f"pg_stat_statements is not loaded ({error}): no statement counts on PostgreSQL; start the "
                "server with shared_preload_libraries=pg_stat_statements (make bench does)",
                flush=True,
            )
            return False
        return True

    def reset(self) -> None:
        asyncio.run(_admin(self.admin_url, "SELECT pg_stat_statements_reset()"))

    def calls(self, database: str) -> int:
        sql = (
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = $1"
        )
        return int(asyncio.run(_admin(self.admin_url, sql, database))[0][0])

    def statements(self, database: str) -> list[dict[str, Any]]:
        """The statements since the last reset, most called first."""
        sql = (
            "SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = $1 ORDER BY s.calls DESC, s.query LIMIT 20"
        )
        return [
            {"calls": r[0], "query": " ".join(r[1].split())[:300]}
            for r in asyncio.run(_admin(self.admin_url, sql, database))
        ]

    def counter(self, database: str) -> Callable[[], float]:
        self.reset()
        return lambda: self.calls(database)


def metric(base: str, headers: dict[str, str]) -> Callable[[], float]:
    """The server's own count of the statements it sent."""

    def counted() -> float:
        for line in httpx.get(f"{base}/metrics", headers=headers).text.splitlines():
            if line.startswith("contextgraph_sql_statements_total "):
                return float(line.split()[1])
        raise SystemExit("the server does not count its SQL statements")

    return counted


def floor_count(base: str) -> Callable[[], float]:
    return lambda: float(httpx.get(f"{base}/statements").text)


def per_request(case: Case, counter: Callable[[], float], requests: int) -> float:
    """Statements per request: the median of the counter's change over each of `requests` requests
    sent one after the other (the median leaves out what the server's poller sends now and then).
    """
    deltas = []
    with httpx.Client(timeout=60) as http:
        case.send(http)  # prepared statements, caches: what a steady state has
        for n in range(requests):
            before = counter()
            response = case.send(http, n)
            if response.status_code != 200:
                raise SystemExit(f"{case.base}: {response.status_code} {response.text[:300]}")
            deltas.append(counter() - before)
    return statistics.median(deltas)
