"""Benchmark (issue #16): the agent-desktop tree and the small query, our server beside a strict
floor of our own, the reference floor and PostGraphile 4, in one run on SQLite and on PostgreSQL.

For each database:
1. our server (`contextgraph serve`, one worker, no rate limit) on a fresh database; extension
   schemas and the agent-desktop customers through the API (bench/dataset.py), 100 background
   customers by SQL;
2. the strict floor (bench/floor.py) on its own tables holding the same customers
   (bench/floor_tables.py); it must answer the GraphQL tree and small query byte for byte as our
   server does, or the run stops. The reference floor (../shared/bench-reference, or
   $BENCH_REFERENCE) on its own dataset, and PostGraphile 4 over the strict floor's PostgreSQL tables;
3. the tree's p50 at 100 and at `--customers` background customers (strict floor and GraphQL in turns);
4. SQL statements per request of every contender (pg_stat_statements; on SQLite our server's count);
5. every contender at 1 connection (p50, p99) and at 32 (req/s) — wrk rotating through the desktop
   customers while a writer replaces their services' Feedback records through the API — and the
   peak RSS of every server process; then our trees at 32 connections with `--workers 2`.

    python bench/tree.py [--quick] [--only sqlite|postgresql] [--desktops 12] [--customers 10000] …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import floor_tables, request_texts
from bench.dataset import create_schemas, names, seed_background, seed_desktops
from bench.import_profiles import fresh_postgres
from bench.load import Case, Writer, wrk
from bench.processes import Processes
from bench.statements import PgStatements, floor_count, metric, per_request
from tests.servers import AUTH, COMMAND, KEY, free_port

ROOT = Path(__file__).resolve().parents[1]
POSTGRAPHILE = ROOT / "bench" / "postgraphile" / "node_modules" / "postgraphile" / "cli.js"
PROFILES = {  # full: `make bench` (under 20 minutes with the other benchmarks); quick: a development run
    "full": {"desktops": 12, "customers": 10_000, "seconds": 5, "seconds_32": 8, "warmup": 1, "growth_runs": 3},
    "quick": {"desktops": 2, "customers": 200, "seconds": 1, "seconds_32": 2, "warmup": 0, "growth_runs": 1},
}
TREES = ("strict floor tree", "reference floor tree", "PostGraphile tree", "GraphQL tree", "REST tree")
SMALLS = ("strict floor small", "GraphQL small", "REST small")
REFERENCE_SQLITE_STATEMENTS = 6  # its fetch_sqlite: services, states, tasks and three extension tables
# Where PostGraphile's tree lists the rows of each of the strict floor's tables.
POSTGRAPHILE_LISTS = {
    "service": "servicesByCustomerIdList",
    "state": "statesByServiceIdList",
    "task": "tasksByStateIdList",
    "service_ext": "serviceExtsByServiceIdList",
    "state_ext": "stateExtsByStateIdList",
    "task_ext": "taskExtsByTaskIdList",
}
JSON_HEADERS = (("Content-Type", "application/json"), ("Authorization", AUTH["Authorization"]))


def reference_folder() -> Path | None:
    folder = Path(os.environ.get("BENCH_REFERENCE") or ROOT.parent / "shared" / "bench-reference")
    return folder if (folder / "floor.py").is_file() else None


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (2 cores: above 2, something else was running)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def graphql(base: str, query: str, variables: list[dict[str, Any]]) -> Case:
    bodies = tuple(("/graphql", json.dumps({"query": query, "variables": v})) for v in variables)
    return Case(base, "POST", bodies, JSON_HEADERS)


def get(base: str, paths: list[str]) -> Case:
    return Case(base, "GET", tuple((p, None) for p in paths), JSON_HEADERS[1:])


def check_same(name: str, expected: bytes, answer: bytes) -> None:
    if expected != answer:
        at = next(
            (i for i, (a, b) in enumerate(zip(expected, answer, strict=False)) if a != b),
            min(len(expected), len(answer)),
        )
        raise SystemExit(
            f"{name} does not answer the GraphQL answer's bytes (first difference at byte {at}):\n"
            f"  GraphQL: …{expected[max(0, at - 120) : at + 80].decode(errors='replace')}…\n"
            f"  {name}: …{answer[max(0, at - 120) : at + 80].decode(errors='replace')}…"
        )


def counts(node: Any) -> dict[str, int]:
    """How many objects of each kind a tree answer holds, whatever its shape (PostGraphile's or ours)."""
    found: dict[str, int] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, list):
            found[key] = found.get(key, 0) + len(value)
            for item in value:
                walk(item, key)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)

    walk(node, "")
    return found


def alternating(
    cases: dict[str, Case], names: tuple[str, ...], args: argparse.Namespace, tmp: Path, procs: Processes
) -> dict[str, float]:
    """Median p50 of `growth_runs` runs of each case at one connection, taken in turns (A B A B …)."""
    p50s: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.growth_runs):
        for name in names:
            p50s[name].append(wrk(cases[name], 1, args.seconds, 1, tmp, procs.settle)["p50"])
    return {name: statistics.median(values) for name, values in p50s.items()}


def start_contenders(
    name: str,
    urls: dict[str, str],
    procs: Processes,
    tmp: Path,
    env: dict[str, str],
    customers: list[str],
    services: list[int],
) -> dict[str, Case]:
    """The strict floor, the reference floor (when its folder is there) and PostGraphile (on
    PostgreSQL, when installed): their cases."""
    ports = {k: free_port() for k in ("floor", "reference", "postgraphile")}
    floor = f"http://127.0.0.1:{ports['floor']}"
    procs.start(
        "strict floor",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.floor:app",
            "--port",
            str(ports["floor"]),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env | {"FLOOR_DATABASE": urls["floor"]},
        tmp / f"{name}-floor.log",
        f"{floor}/statements",
        cwd=ROOT,
    )
    cases = {
        "strict floor tree": get(floor, [f"/tree/{c}" for c in customers]),
        "strict floor small": get(floor, [f"/service/{s}" for s in services]),
    }
    reference = reference_folder()
    if reference:
        base = f"http://127.0.0.1:{ports['reference']}"
        subprocess.run([sys.executable, "floor.py", "load", urls["reference"]], cwd=reference, check=True, env=env)
        procs.start(
            "reference floor",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "floor:app",
                "--port",
                str(ports["reference"]),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env | {"FLOOR_DB": urls["reference"]},
            tmp / f"{name}-reference.log",
            f"{base}/tree/1",
            cwd=reference,
        )
        cases["reference floor tree"] = get(base, ["/tree/1"])  # its dataset has the one customer
    if name == "postgresql" and POSTGRAPHILE.is_file():
        base = f"http://127.0.0.1:{ports['postgraphile']}"
        procs.start(
            "PostGraphile",
            [
                "node",
                str(POSTGRAPHILE),
                "-c",
                urls["floor"],
                "-s",
                "public",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports["postgraphile"]),
                "--disable-query-log",
                "--dynamic-json",
                "--simple-collections",
                "only",
                "--disable-default-mutations",
            ],
            env | {"NODE_ENV": "production"},
            tmp / f"{name}-postgraphile.log",
            f"{base}/graphql",
        )
        cases["PostGraphile tree"] = graphql(base, request_texts.POSTGRAPHILE_TREE, [{"id": c} for c in customers])
    elif name == "postgresql":
        print("PostGraphile is not installed (make bench runs npm install in bench/postgraphile)", flush=True)
    return cases


def check_answers(cases: dict[str, Case], answers: list[bytes], smalls: list[bytes]) -> dict[str, int]:
    """The strict floor must write exactly what our server answers, PostGraphile hold the same rows;
    the size of each contender's answer."""
    with httpx.Client(timeout=60) as http:
        for n, expected in enumerate(answers):
            check_same("the strict floor's tree", expected, cases["strict floor tree"].send(http, n).content)
        for n, expected in enumerate(smalls):
            check_same("the strict floor's small query", expected, cases["strict floor small"].send(http, n).content)
        if "PostGraphile tree" in cases:
            theirs = counts(orjson.loads(cases["PostGraphile tree"].send(http).content))
            rows = floor_tables.desktop_rows([orjson.loads(answers[0])["data"]])
            for table, key in POSTGRAPHILE_LISTS.items():
                if theirs.get(key) != len(rows[table]):
                    raise SystemExit(
                        f"PostGraphile answers {theirs.get(key)} {key}, the floor holds {len(rows[table])}"
                    )
        return {case: len(cases[case].send(http).content) for case in cases}


def count_statements(
    cases: dict[str, Case], urls: dict[str, str], base: str, pg: PgStatements | None, result: dict[str, Any]
) -> None:
    """SQL statements per request of every contender, one at a time, nothing else running (None:
    not counted — PostgreSQL without pg_stat_statements)."""
    result["statements"], result["statement_texts"] = {}, {}
    databases = {"strict floor": "floor", "PostGraphile": "floor", "reference floor": "reference"}
    for case in (*TREES, *SMALLS):
        if case not in cases:
            continue
        process, requests, sqlite = case.rsplit(" ", 1)[0], 10, result["database"] == "sqlite"
        if pg:
            database = urls[databases.get(process, "server")].rsplit("/", 1)[1]
            result["statements"][case] = per_request(cases[case], pg.counter(database), requests)
            result["statement_texts"][case] = {"requests": requests + 1, "statements": pg.statements(database)}
        elif process == "strict floor":
            result["statements"][case] = per_request(cases[case], floor_count(cases[case].base), requests)
        elif process in ("GraphQL", "REST"):
            result["statements"][case] = per_request(cases[case], metric(base, AUTH), requests)
        else:
            result["statements"][case] = (
                REFERENCE_SQLITE_STATEMENTS if sqlite and process == "reference floor" else None
            )


def run(
    name: str, urls: dict[str, str], args: argparse.Namespace, tmp: Path, pg: PgStatements | None
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    server_env = env | {
        "CONTEXTGRAPH_BOOTSTRAP_KEY": KEY,
        "CONTEXTGRAPH_RATE_LIMIT": "0",
    }  # measure the server, not its limit
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {
        "database": name,
        "desktops": args.desktops,
        "customers": args.customers + args.desktops,
        "phases_s": {},
        "load_average": [load_average()],
    }
    clock = time.monotonic()

    def phase(label: str) -> None:
        nonlocal clock
        result["phases_s"][label] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    serve = [COMMAND, "serve", "--port", str(port), "--database", urls["server"], "--log-level", "warning"]
    with Processes() as procs:
        procs.start("server", serve, server_env, tmp / f"{name}-server.log", f"{base}/server/status")
        with httpx.Client(base_url=base, headers=AUTH, timeout=60) as http:
            create_schemas(http)
        time.sleep(1)  # the server's poller takes the new schemas
        asyncio.run(seed_background(urls["server"], 0, 100))
        desktops = seed_desktops(base, AUTH, args.desktops)
        customers, services = [c for c, _ in desktops], [s for _, ss in desktops for s in ss]
        phase("seed the server")

        tree_case = graphql(base, request_texts.TREE, [request_texts.tree_variables(c) for c in customers])
        small_case = graphql(base, request_texts.SMALL, [request_texts.small_variables(s) for s in services])
        with httpx.Client(timeout=60) as http:
            answers = [tree_case.send(http, n).content for n in range(len(customers))]
            smalls = [small_case.send(http, n).content for n in range(len(services))]
        for answer in (*answers, *smalls):
            if "errors" in orjson.loads(answer):
                raise SystemExit(f"the GraphQL answer has errors: {answer[:500]!r}")
        rows = floor_tables.desktop_rows(
            [orjson.loads(a)["data"] for a in answers], {c: names(n) for n, c in enumerate(customers)}
        )
        asyncio.run(floor_tables.create(urls["floor"]))
        asyncio.run(floor_tables.load(urls["floor"], rows))
        asyncio.run(floor_tables.load(urls["floor"], floor_tables.background_rows(0, 100)))
        cases = start_contenders(name, urls, procs, tmp, env, customers, services)
        cases |= {
            "GraphQL tree": tree_case,
            "REST tree": get(base, [request_texts.rest_tree(c) for c in customers]),
            "GraphQL small": small_case,
            "REST small": get(base, [request_texts.rest_small(s) for s in services]),
        }
        result["answer_bytes"] = check_answers(cases, answers, smalls)
        phase("load the floors, start the contenders")

        writer = Writer(base, AUTH, services, args.writes)
        growth = ("strict floor tree", "GraphQL tree")
        with writer.running():
            small_db = alternating(cases, growth, args, tmp, procs)
        phase("growth: 100 customers")
        asyncio.run(seed_background(urls["server"], 100, args.customers - 100))
        asyncio.run(floor_tables.load(urls["floor"], floor_tables.background_rows(100, args.customers - 100)))
        phase("seed the other background customers")
        with writer.running():
            large_db = alternating(cases, growth, args, tmp, procs)
        phase(f"growth: {args.customers} customers")
        result["growth"] = {
            case: {
                "p50_at_100": small_db[case],
                f"p50_at_{args.customers}": large_db[case],
                "change": round(large_db[case] / small_db[case] - 1, 3),
            }
            for case in growth
        }
        # The floor runs the same kind of index searches: the machine's drift between the two
        # moments shows in it too, and GraphQL's change relative to the floor's leaves it out.
        result["growth"]["GraphQL tree"]["change_relative_to_floor"] = round(
            (1 + result["growth"]["GraphQL tree"]["change"]) / (1 + result["growth"]["strict floor tree"]["change"])
            - 1,
            3,
        )

        count_statements(cases, urls, base, pg, result)
        phase("count statements")

        # Every contender at 1 connection, then at 32; GraphQL's tree last, next to the two-worker run.
        order = (*[c for c in TREES if c != "GraphQL tree"], *SMALLS, "GraphQL tree")
        with writer.running():
            for connections, seconds in ((1, args.seconds), (32, args.seconds_32)):
                for case in order:
                    if case in cases:
                        measured = wrk(cases[case], connections, seconds, args.warmup, tmp, procs.settle)
                        result.setdefault(case, {})[f"c{connections}"] = measured
        result["peak_rss_mb"] = {process: procs.peak_rss_mb(process) for process in procs.running}
        phase("measure")

        procs.stop("server")
        procs.start(
            "server", [*serve, "--workers", "2"], server_env, tmp / f"{name}-server2.log", f"{base}/server/status"
        )
        with writer.running():
            for case in ("GraphQL tree", "REST tree"):
                result[case]["c32 workers 2"] = wrk(cases[case], 32, args.seconds_32, args.warmup, tmp, procs.settle)
        result["peak_rss_mb"]["server, 2 workers"] = procs.peak_rss_mb("server")
        phase("two workers")
    result["load_average"].append(load_average())
    result["writes"] = {"done": writer.done, "failed": writer.failed, "per_s": round(writer.done / writer.seconds, 1)}
    return result


def _ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else float("nan")


def targets(r: dict[str, Any]) -> list[tuple[str, float, str, float]]:
    """Issue 16's targets: (what, measured, comparison, limit)."""

    def m(case: str, key: str, connections: str = "c1") -> float:
        return float(r[case][connections][key])

    floor_tree, floor_small = "strict floor tree", "strict floor small"
    out = [
        ("GraphQL tree p50 × strict floor", _ratio(m("GraphQL tree", "p50"), m(floor_tree, "p50")), "≤", 2.0),
        ("GraphQL tree p99 × strict floor", _ratio(m("GraphQL tree", "p99"), m(floor_tree, "p99")), "≤", 3.0),
        (
            "GraphQL tree req/s@32 × strict floor",
            _ratio(m("GraphQL tree", "rps", "c32"), m(floor_tree, "rps", "c32")),
            "≥",
            0.5,
        ),
        ("REST tree p50 × strict floor", _ratio(m("REST tree", "p50"), m(floor_tree, "p50")), "≤", 1.3),
        (
            "REST tree req/s@32 × strict floor",
            _ratio(m("REST tree", "rps", "c32"), m(floor_tree, "rps", "c32")),
            "≥",
            0.7,
        ),
        (
            "GraphQL small req/s@32 × strict floor",
            _ratio(m("GraphQL small", "rps", "c32"), m(floor_small, "rps", "c32")),
            "≥",
            0.6,
        ),
        (
            "REST small req/s@32 × strict floor",
            _ratio(m("REST small", "rps", "c32"), m(floor_small, "rps", "c32")),
            "≥",
            0.6,
        ),
        ("server peak RSS MB", r["peak_rss_mb"]["server"], "≤", 300),
    ]
    out += [
        (f"{case} SQL statements per request", r["statements"][case], "≤", 8)
        for case in ("GraphQL tree", "REST tree")
        if r["statements"][case] is not None
    ]
    if "PostGraphile tree" in r:
        out += [
            (
                "PostGraphile p50 / GraphQL tree p50",
                _ratio(m("PostGraphile tree", "p50"), m("GraphQL tree", "p50")),
                "≥",
                3.0,
            ),
            (
                "GraphQL tree req/s@32 / PostGraphile's",
                _ratio(m("GraphQL tree", "rps", "c32"), m("PostGraphile tree", "rps", "c32")),
                "≥",
                3.0,
            ),
        ]
    if "reference floor tree" in r:
        out += [
            (
                "strict floor p50 × reference floor",
                _ratio(m(floor_tree, "p50"), m("reference floor tree", "p50")),
                "≤",
                1.1,
            ),
            (
                "strict floor req/s@32 × reference floor",
                _ratio(m(floor_tree, "rps", "c32"), m("reference floor tree", "rps", "c32")),
                "≥",
                0.9,
            ),
        ]
    return out


def report(r: dict[str, Any], args: argparse.Namespace) -> list[str]:
    title = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[r["database"]]
    lines = [
        f"\n{title}: {r['desktops']} agent-desktop customers in rotation among {r['customers']} customers; "
        f"{r['writes']['per_s']} Feedback writes/s through the API during every measured run"
        + (f" ({r['writes']['failed']} failed!)" if r["writes"]["failed"] else ""),
        f"{'contender':<21}{'bytes':>8}{'p50 ms':>9}{'p99 ms':>9}{'req/s@32':>10}{'p50×':>7}{'p99×':>7}{'req/s×':>8}"
        f"{'SQL/req':>9}{'RSS MB':>8}",
    ]
    for case in (*TREES, *SMALLS):
        if case not in r:
            continue
        floor = r["strict floor tree" if case in TREES else "strict floor small"]
        one, many = r[case]["c1"], r[case]["c32"]
        errors = " (errors!)" if one["errors"] or many["errors"] else ""
        process = case.rsplit(" ", 1)[0] if "floor" in case or "Graphile" in case else "server"
        lines.append(
            f"{case:<21}{r['answer_bytes'][case]:>8}{one['p50']:>9.2f}{one['p99']:>9.2f}{many['rps']:>10.1f}"
            f"{_ratio(one['p50'], floor['c1']['p50']):>7.2f}{_ratio(one['p99'], floor['c1']['p99']):>7.2f}"
            f"{_ratio(many['rps'], floor['c32']['rps']):>8.2f}{'—' if r['statements'][case] is None else r['statements'][case]:>9}"
            f"{r['peak_rss_mb'][process]:>8}{errors}"
        )
    if r["database"] == "sqlite" and "reference floor tree" in r:
        lines.append(
            f"(the reference floor's SQL/req on SQLite is known from its code, not counted: {REFERENCE_SQLITE_STATEMENTS})"
        )
    for case, growth in r["growth"].items():
        relative = growth.get("change_relative_to_floor")
        lines.append(
            f"{case}: p50 {growth['p50_at_100']:.2f} ms at 100 background customers, "
            f"{growth[f'p50_at_{args.customers}']:.2f} ms at {args.customers} ({growth['change']:+.1%}"
            + (f", {relative:+.1%} relative to the strict floor's" if relative is not None else "")
            + f"; medians of {args.growth_runs} runs taken in turns)"
        )
    for case in ("GraphQL tree", "REST tree"):
        lines.append(
            f"{case} req/s@32: {r[case]['c32']['rps']:.1f} with 1 worker, "
            f"{r[case]['c32 workers 2']['rps']:.1f} with 2 (server peak RSS {r['peak_rss_mb']['server, 2 workers']} MB)"
        )
    lines.append("targets (issue 16):")
    for what, value, op, limit in targets(r):
        met = value <= limit if op == "≤" else value >= limit
        lines.append(f"  {what}: {value} (target {op} {limit}) {'met' if met else 'MISSED'}")
    lines.append("phases (s): " + ", ".join(f"{k} {v}" for k, v in r["phases_s"].items()))
    lines.append(f"load average at the start and at the end: {r['load_average'][0]}; {r['load_average'][1]}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="a development run of about a minute and a half per database"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument("--desktops", type=int, help="agent-desktop customers in rotation (12; quick 2)")
    parser.add_argument("--customers", type=int, help="background customers at the end (10 000; quick 200)")
    parser.add_argument("--seconds", type=int, help="each run at one connection (5; quick 1)")
    parser.add_argument("--seconds-32", type=int, help="each run at 32 connections (8; quick 2)")
    parser.add_argument("--warmup", type=int, help="warm-up before each run (1; quick none)")
    parser.add_argument("--growth-runs", type=int, help="runs of each case at each size for the growth (3; quick 1)")
    parser.add_argument("--writes", type=float, default=10, help="Feedback writes per second during the runs (10)")
    parser.add_argument("--out", default="bench/results/tree.json")
    args = parser.parse_args()
    for key, value in PROFILES["quick" if args.quick else "full"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    started = time.monotonic()
    results = []
    admin = os.environ.get("CONTEXTGRAPH_TEST_POSTGRES")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        databases = []
        if args.only != "postgresql":
            databases.append(
                (
                    "sqlite",
                    {
                        "server": f"sqlite:///{tmp}/server.db",
                        "floor": f"sqlite:///{tmp}/floor.db",
                        "reference": f"sqlite:{tmp}/reference.db",
                    },
                    None,
                )
            )
        if admin and args.only != "sqlite":
            pg = PgStatements(admin)
            urls = {k: asyncio.run(fresh_postgres(admin)) for k in ("server", "floor", "reference")}
            databases.append(("postgresql", urls, pg if pg.available() else None))
        elif args.only == "postgresql":
            raise SystemExit("no PostgreSQL: run under scripts/with-postgres.sh")
        for name, urls, pg in databases:
            result = run(name, urls, args, tmp, pg)
            print("\n".join(report(result, args)), flush=True)
            results.append(result)
    total = round(time.monotonic() - started, 1)
    print(f"\ntree benchmark: {total} s", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"tree": results, "seconds": total, "options": vars(args)}, indent=2) + "\n")


if __name__ == "__main__":
    main()
