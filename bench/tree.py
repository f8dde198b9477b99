"""Benchmark (issue #6): the agent-desktop tree and small queries over GraphQL and REST, each as a
ratio to the floor measured in the same run — bench/baseline.py, hand-written SQL plus orjson.

For each database (SQLite; PostgreSQL when CONTEXTGRAPH_TEST_POSTGRES names a server):
1. a real server process (`contextgraph serve`) on a fresh database; extension schemas through the
   API; background customers by SQL (services, states, tasks, extension records, interactions);
   the agent-desktop customer through the API (50 services, half completed, 4 states each,
   3 tasks per state, a single- and a multi-valued service extension, a state extension and a
   multi-valued task extension, 50 interactions);
2. checks the GraphQL answer is byte-for-byte the baseline's;
3. the GraphQL tree at 100 customers, then at `--customers` (10 000) — indexes must keep it flat;
4. every case at 1 and 32 connections (wrk over loopback), SQL statements per request (the
   server's `contextgraph_sql_statements_total`), the server's peak RSS, and the query plans of
   the tree's statements.

    python bench/tree.py [--customers 10000] [--seconds 5] [--out bench/results/tree.json]
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
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.import_profiles import fresh_postgres
from contextgraph.app.settings import load_settings
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.tables import (
    customer_t,
    extension_record_t,
    extension_schema_t,
    interaction_t,
    service_t,
    state_t,
    task_t,
)
from tests.servers import AUTH, COMMAND, KEY, free_port

ROOT = Path(__file__).resolve().parents[1]
TREE = """query Tree($id: ID!) { customer(id: $id) { id attributes interactions { id mediaType }
  services { id serviceType active startedAt completedAt duration disposition started completed
    extensions { Feedback { FeedbackType rating notes } relatedOffers { offer_name type comments } }
    states { id stateType active startedAt completedAt duration disposition started completed extensions { Survey { score } }
      tasks { id taskType active startedAt completedAt duration disposition started completed extensions { Proposal { car_type price } } } }
    tasks { id stateId } } } }"""
SMALL = "query One($id: Long!) { service(id: $id) { id serviceType active startedAt started } }"
SCHEMAS = {
    "services": [{"name": "Feedback", "type": "single-valued", "attributes": [
        {"name": "FeedbackType", "type": "string"}, {"name": "rating", "type": "integer"}, {"name": "notes", "type": "string"}]},
        {"name": "relatedOffers", "type": "multi-valued", "unique": ["offer_name"], "attributes": [
            {"name": "offer_name", "type": "string"}, {"name": "type", "type": "integer"}, {"name": "comments", "type": "string"}]}],
    "states": [{"name": "Survey", "type": "single-valued", "attributes": [{"name": "score", "type": "integer"}]}],
    "tasks": [{"name": "Proposal", "type": "multi-valued", "attributes": [
        {"name": "car type", "type": "string"}, {"name": "price", "type": "integer"}]}],
}  # fmt: skip
WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{authorization}"
done = function(summary, latency, requests)
  io.write(string.format('{{"p50": %f, "p95": %f, "requests": %d, "errors": %d, "seconds": %f}}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
"""
TARGETS = {"graphql tree": 3.0, "rest tree": 2.0, "graphql small": 1.5, "rest small": 1.5}


async def seed_background(url: str, first: int, count: int) -> None:
    """`count` customers by SQL, each with 2 services (one completed), 2 states and 4 tasks per
    service, a Feedback record per service, two Proposal records per task and an interaction.
    """
    database = Database(load_settings(None, database=url).async_database_url)
    stamp = 1_700_000_000_000
    journey = {"type_value": 1, "type_key": "1", "started_ms": stamp, "started": {"timestamp": "2023-11-14T22:13:20.000Z"}}
    async with database.write() as conn:
        schema = {name: i for i, name in (await conn.execute(sa.select(extension_schema_t.c.id, extension_schema_t.c.name))).all()}
        for start in range(first, first + count, 500):
            ids = [f"bg{n:014d}" for n in range(start, min(start + 500, first + count))]
            await conn.execute(sa.insert(customer_t), [{"id": c, "attributes": {"FirstName": c}, "created_ms": stamp} for c in ids])
            services = (await conn.execute(sa.insert(service_t).returning(service_t.c.id), [
                journey | {"customer_id": c} | ({"completed_ms": stamp + 1000, "duration": 1000} if k else {})
                for c in ids for k in range(2)])).scalars().all()  # fmt: skip
            states = (await conn.execute(sa.insert(state_t).returning(state_t.c.id, state_t.c.service_id),
                                         [journey | {"service_id": s} for s in services for _ in range(2)])).all()  # fmt: skip
            tasks = (await conn.execute(sa.insert(task_t).returning(task_t.c.id), [
                journey | {"service_id": s.service_id, "state_id": s.id} for s in states for _ in range(2)])).scalars().all()  # fmt: skip
            await conn.execute(sa.insert(extension_record_t), [
                *({"schema_id": schema["Feedback"], "owner_id": str(s), "record": {"FeedbackType": "bg", "rating": 3}}
                  for s in services),
                *({"schema_id": schema["Proposal"], "owner_id": str(t), "record": {"car type": f"car {i}", "price": 1}}
                  for t in tasks for i in range(2))])  # fmt: skip
            await conn.execute(sa.insert(interaction_t), [
                {"id": f"bg-{c}", "customer_id": c, "entity_type": 3, "start_ms": stamp,
                 "fields": {"interaction_id": f"bg-{c}", "media_type": "voice", "type": "Inbound", "status": 3}}
                for c in ids])  # fmt: skip
    if not database.is_sqlite:  # what autovacuum does a little later in production: plan on today's sizes
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("ANALYZE"))
    await database.dispose()


def seed_desktop(base: str) -> tuple[str, int]:
    with httpx.Client(base_url=base, timeout=30, headers=AUTH) as http:
        customer = http.post("/profiles", json={"FirstName": "Agent", "LastName": "Desktop"}).json()["customer_id"]
        first = 0
        for n in range(50):
            body = {"customer_id": customer, "service_type": n % 5, "interaction_id": f"call-{n}", "media_type": "voice",
                    "Feedback": {"FeedbackType": "survey", "rating": n, "notes": "warm welcome"},
                    "relatedOffers": [{"offer_name": f"offer {i}", "type": i, "comments": "proposed"} for i in range(3)]}
            sid = http.post("/services/start", json=body).json()["service_id"]
            first = first or sid
            for s in range(4):
                st = http.post(f"/services/{sid}/states/start", json={"state_type": s, "Survey": {"score": s}}).json()["state_id"]
                for t in range(3):
                    task = {"task_type": t, "state_id": st, "Proposal": [{"car type": f"car {i}", "price": 1000 * i} for i in range(2)]}
                    tid = http.post(f"/services/{sid}/tasks/start", json=task).json()["task_id"]
                    if n % 2:
                        http.post(f"/services/{sid}/tasks/{tid}/end", json={"disposition": 1})
                if n % 2:
                    http.post(f"/services/{sid}/states/{st}/end", json={"disposition": 2})
            if n % 2:
                http.post(f"/services/{sid}/end", json={"disposition": 3})
            http.post("/interactions", json={"interaction_id": f"call-{n}", "customer_id": customer, "entity_type": 3,
                                             "media_type": "voice", "type": "Inbound", "status": 3, "creator_app_id": 1,
                                             "start_date": f"2024-01-01T10:{n:02d}:00Z"})
        return customer, first


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def wait(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def wrk(url: str, method: str, body: str | None, connections: int, seconds: int, tmp: Path) -> dict[str, float]:
    script = tmp / "wrk.lua"
    script.write_text(WRK_SCRIPT.format(method=method, body=json.dumps(body) if body else "nil", authorization=AUTH["Authorization"]))
    options = ["-t", str(min(connections, 2)), "-c", str(connections), "--timeout", "60s", "-s", str(script), url]
    subprocess.run(["wrk", "-d", "2s", *options], capture_output=True, check=True)  # warm-up
    output = subprocess.run(["wrk", "-d", f"{seconds}s", *options], capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


def alternating(cases: dict[str, tuple[str, str, str | None]], names: tuple[str, ...], seconds: int,
                tmp: Path, runs: int = 3) -> dict[str, float]:  # fmt: skip
    """Median p50 of `runs` runs of each case at one client, taken in turns (A B A B A B), so that a
    slow moment of the machine does not land on one case only."""
    p50s: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(runs):
        for name in names:
            target, method, body = cases[name]
            p50s[name].append(wrk(target, method, body, 1, seconds, tmp)["p50"])
    return {name: statistics.median(values) for name, values in p50s.items()}


def statements(base: str, target: str, method: str, body: str | None) -> int:
    """SQL statements one request costs, read off the server's own counter."""

    def counted() -> float:
        for line in httpx.get(f"{base}/metrics", headers=AUTH).text.splitlines():
            if line.startswith("contextgraph_sql_statements_total "):
                return float(line.split()[1])
        raise SystemExit("the server does not count its SQL statements")

    deltas = []
    for _ in range(5):  # the fewest of five: the server's own 0.5 s refresh may land in between
        before = counted()
        httpx.request(method, target, content=body, headers={"content-type": "application/json", **AUTH}, timeout=60)
        deltas.append(int(counted() - before))
    return min(deltas)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def query_plans(url: str, customer: str) -> list[dict[str, Any]]:
    """EXPLAIN of every statement the GraphQL tree runs (captured from the app itself, in-process)."""
    from contextgraph.app.main import create_app

    app = create_app(load_settings(None, database=url, refresh_interval=3600, bootstrap_key=KEY))
    seen: list[tuple[str, Any]] = []
    async with app.router.lifespan_context(app):
        engine = app.state.runtime.db.engine

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
            seen.append((statement, parameters))

        sa.event.listen(engine.sync_engine, "before_cursor_execute", capture)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=AUTH) as client:
            response = await client.post("/graphql", json={"query": TREE, "variables": {"id": customer}})
            assert "errors" not in response.json()
        sa.event.remove(engine.sync_engine, "before_cursor_execute", capture)
        plans = []
        sqlite = engine.dialect.name == "sqlite"
        async with engine.connect() as conn:
            for statement, parameters in seen:
                explain = ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement
                rows = (await conn.exec_driver_sql(explain, parameters)).all()
                plan = [str(r[-1]) for r in rows]
                plans.append({"statement": " ".join(statement.split())[:160], "plan": plan})
    return plans


def run(name: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")} | {"CONTEXTGRAPH_BOOTSTRAP_KEY": KEY, "CONTEXTGRAPH_RATE_LIMIT": "0"}  # measure the server, not its limit
    port, floor_port = free_port(), free_port()
    server = start([COMMAND, "serve", "--port", str(port), "--database", url, "--log-level", "warning"], env, tmp / f"{name}.log")
    base, floor = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    baseline = None
    try:
        wait(f"{base}/server/status")
        for word, body in SCHEMAS.items():
            assert httpx.post(f"{base}/metadata/{word}/extensions", json=body, headers=AUTH).status_code == 201
        time.sleep(1)
        asyncio.run(seed_background(url, 0, 100))
        customer, service = seed_desktop(base)
        baseline = start([sys.executable, "-m", "uvicorn", "bench.baseline:app", "--port", str(floor_port), "--log-level", "warning",
                          "--no-access-log"], env | {"BASELINE_DATABASE": url}, tmp / f"{name}-baseline.log")  # fmt: skip
        wait(f"{floor}/service/{service}")
        rest = (f"{base}/customers/{customer}/services?active_states=true&completed_states=true&active_tasks=true"
                "&completed_tasks=true&extensions=Feedback,relatedOffers")
        tree_body = json.dumps({"query": TREE, "variables": {"id": customer}})
        cases = {
            "baseline tree": (f"{floor}/tree/{customer}", "GET", None),
            "graphql tree": (f"{base}/graphql", "POST", tree_body),
            "rest tree": (rest, "GET", None),
            "baseline small": (f"{floor}/service/{service}", "GET", None),
            "graphql small": (f"{base}/graphql", "POST", json.dumps({"query": SMALL, "variables": {"id": service}})),
            "rest small": (f"{base}/services/{service}", "GET", None),
        }
        answers = {case: httpx.request(method, target, content=body, headers={"content-type": "application/json", **AUTH}, timeout=60).content
                   for case, (target, method, body) in cases.items()}  # fmt: skip
        for floor_case, graphql_case in (("baseline tree", "graphql tree"), ("baseline small", "graphql small")):
            if orjson.loads(answers[floor_case]) != orjson.loads(answers[graphql_case]):
                raise SystemExit(f"{name}: the baseline does not answer what GraphQL answers ({floor_case})")
        results: dict[str, Any] = {"database": name, "customers": args.customers + 1,
                                   "sizes_bytes": {case: len(a) for case, a in answers.items()}}  # fmt: skip
        # The tree with 100 background customers, then with all of them: the indexes keep it flat.
        small_db = alternating(cases, ("baseline tree", "graphql tree"), args.seconds, tmp)
        asyncio.run(seed_background(url, 100, args.customers - 100))
        large_db = alternating(cases, ("baseline tree", "graphql tree"), args.seconds, tmp)
        results["growth"] = {case: {"p50_at_101": small_db[case], f"p50_at_{args.customers + 1}": large_db[case],
                                    "change": round(large_db[case] / small_db[case] - 1, 3)} for case in small_db}  # fmt: skip
        # The floor runs the same index searches: the machine's drift between the two moments shows
        # in it, and the tree's change relative to the floor's leaves that drift out.
        floor_change = large_db["baseline tree"] / small_db["baseline tree"]
        results["growth"]["graphql tree"]["change_relative_to_floor"] = round(
            large_db["graphql tree"] / small_db["graphql tree"] / floor_change - 1, 3)  # fmt: skip
        for case, (target, method, body) in cases.items():
            results.setdefault("statements", {})[case] = statements(base, target, method, body) if not case.startswith("baseline") else 6 if "tree" in case else 1
        for connections in (1, 32):
            for case, (target, method, body) in cases.items():
                seconds = args.seconds if connections == 1 else args.seconds * 2
                results[f"{case} c{connections}"] = wrk(target, method, body, connections, seconds, tmp)
        results["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        for process in (server, baseline):
            if process is not None:
                process.terminate()
                process.wait(10)
    results["query_plans"] = asyncio.run(query_plans(url, customer))
    return results


def report(result: dict[str, Any], customers: int) -> list[str]:
    name = result["database"]
    lines = [f"\n{name}: {result['customers']} customers; agent-desktop tree {result['sizes_bytes']['graphql tree']} bytes; "
             f"server peak RSS {result['server_peak_rss_mb']} MB (target ≤ 300)",
             f"{'case':<15}{'c':>3}{'p50 ms':>10}{'p95 ms':>10}{'req/s':>9}{'p50 ×floor':>12}{'req/s ×floor':>14}{'SQL':>5}  target"]  # fmt: skip
    for connections in (1, 32):
        for case in ("baseline tree", "graphql tree", "rest tree", "baseline small", "graphql small", "rest small"):
            m = result[f"{case} c{connections}"]
            floor = result[f"baseline {case.split()[-1]} c{connections}"]
            m["p50_ratio"] = round(m["p50"] / floor["p50"], 2)
            m["rps_ratio"] = round(m["rps"] / floor["rps"], 2)
            target = ""
            if case in TARGETS and connections == 1:
                target = f"p50 ≤ {TARGETS[case]}× {'met' if m['p50_ratio'] <= TARGETS[case] else 'MISSED'}"
            if case == "graphql small" and connections == 32:
                target = f"req/s ≥ 0.6× {'met' if m['rps_ratio'] >= 0.6 else 'MISSED'}"
            lines.append(f"{case:<15}{connections:>3}{m['p50']:>10.2f}{m['p95']:>10.2f}{m['rps']:>9.1f}{m['p50_ratio']:>12.2f}"
                         f"{m['rps_ratio']:>14.2f}{result['statements'][case]:>5}  {target}")  # fmt: skip
    for case, growth in result["growth"].items():
        relative = growth.get("change_relative_to_floor")
        lines.append(f"{case}: p50 {growth['p50_at_101']:.2f} ms at 101 customers, "
                     f"{growth[f'p50_at_{customers + 1}']:.2f} ms at {customers + 1} ({growth['change']:+.1%}"
                     + (f"; {relative:+.1%} relative to the floor" if relative is not None else "")
                     + "; target within ±10%; medians of 3 runs taken in turns)")  # fmt: skip
    lines.append("query plans of the GraphQL tree's statements:")
    for plan in result["query_plans"]:
        lines.append(f"  {plan['statement']}")
        lines.extend(f"      {step}" for step in plan["plan"])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--out", default="bench/results/tree.json")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("sqlite", f"sqlite:///{tmp}/tree.db")]
        if os.environ.get("CONTEXTGRAPH_TEST_POSTGRES"):
            databases.append(("postgresql", asyncio.run(fresh_postgres(os.environ["CONTEXTGRAPH_TEST_POSTGRES"]))))
        for name, url in databases:
            if args.only not in (None, name):
                continue
            result = run(name, url, args, Path(tmp))
            print("\n".join(report(result, args.customers)), flush=True)
            results.append(result)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"tree": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
