"""Benchmark: `contextgraph import-profiles` on 100 000 and 1 000 000 rows, SQLite and PostgreSQL.

Each import runs in its own process; rows/s is rows over the process's wall time (start-up
included) and peak memory the process's maximum resident set (os.wait4). Equal peaks for 100 k and
1 M rows show that the import streams. The database has a unique identification key on
EmailAddress, so every row also writes and checks an identity row.

    python bench/import_profiles.py [--rows 100000,1000000] [--out bench/results/import.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.access.roles import Principal
from contextgraph.resolvers.context import Runtime
from contextgraph.resolvers.profiles import identification
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate

COMMAND = str(Path(sys.executable).with_name("contextgraph"))


def write_csv(path: Path, rows: int) -> None:
    with path.open("w") as out:
        out.write("FirstName,LastName,EmailAddress,PhoneNumber[1],PhoneNumber[2]\n")
        for n in range(rows):
            out.write(f"First{n},Last{n % 5000},user{n}@example.com,+1-555-{n:07d},+1-556-{n:07d}\n")


async def prepare(url: str) -> None:
    """A migrated database with a unique identification key."""
    settings = load_settings(None, database=url)
    database = Database(settings.async_database_url)
    try:
        await migrate(database)
        runtime = Runtime.create(database, settings)
        await runtime.refresh()
        ctx = runtime.context(Principal.operator())
        await ctx.server.set_mode("maintenance")
        await identification.create_key(
            ctx, {"body": {"name": "idEmail", "attributes": ["EmailAddress"], "unique": True}}
        )
        await ctx.server.set_mode("production")
    finally:
        await database.dispose()


async def fresh_postgres(admin_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def run(csv: Path, url: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    started = time.monotonic()
    process = subprocess.Popen(
        [COMMAND, "import-profiles", str(csv), "--database", url, "--quiet"], stdout=subprocess.PIPE, env=env
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    report = json.loads(output)
    if status != 0 or report["errors"]:
        raise SystemExit(f"import failed: {report}")
    rows = report["imported"]
    peak = round(usage.ru_maxrss / 1024, 1)
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds), "peak_rss_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--out", default="bench/results/import.json")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    pg = os.environ.get("CONTEXTGRAPH_TEST_POSTGRES")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            csv = Path(tmp) / f"profiles-{rows}.csv"
            write_csv(csv, rows)
            databases = [("sqlite", f"sqlite:///{tmp}/import-{rows}.db")]
            if pg:
                databases.append(("postgresql", asyncio.run(fresh_postgres(pg))))
            for name, url in databases:
                asyncio.run(prepare(url))
                result = {"database": name, "csv_mb": round(csv.stat().st_size / 2**20, 1)} | run(csv, url)
                results.append(result)
                line = (
                    f"{name:<11} {result['rows']:>9,} rows  {result['csv_mb']:>6} MB csv  "
                    f"{result['seconds']:>7} s  {result['rows_per_s']:>7,} rows/s  "
                    f"peak RSS {result['peak_rss_mb']} MB"
                )
                print(line, flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"import_profiles": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
