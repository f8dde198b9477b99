"""Benchmark (a first draft for issue #6, not yet in `make bench`): the agent-desktop tree (and small
queries) over GraphQL and REST against the floor,
hand-written SQL plus orjson (bench/baseline.py), each as a ratio to that floor in the same run.

Seeds `--customers` background customers (one service, two states, two tasks each; straight SQL)
and one agent-desktop customer through the API: 50 services (half completed), 4 states each,
3 tasks per state, a single- and a multi-valued (3 records) service extension, a state extension,
a multi-valued (2 records) task extension. Load: wrk over loopback, 1 and 32 connections.

    python bench/tree.py [--customers 10000] [--seconds 5] [--out bench/results/tree.json]
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
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.servers import COMMAND, free_port

from bench.import_profiles import fresh_postgres
from contextgraph.app.db import Database
from contextgraph.app.migrate import migrate
from contextgraph.app.models import customer_t, service_t, state_t, task_t
from contextgraph.app.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
TREE = """query Tree($id: ID!) { customer(id: $id) { id attributes interactions { id mediaType }
  services { id serviceType active startedAt completedAt duration disposition started completed
    extensions { Feedback { FeedbackType rating notes } relatedOffers { offer_name type comments } }
    states { id stateType active startedAt completedAt duration disposition started completed extensions { Survey { score } }
      tasks { id taskType active startedAt completedAt duration disposition started completed extensions { Proposal { car_type price } } } }
    tasks { id stateId } } } }"""
SMALL = "query One($id: Long!) { service(id: $id) { id serviceType active startedAt started } }"
WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format('{{"p50": %f, "p95": %f, "requests": %d, "errors": %d, "seconds": %f}}\\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
"""


async def seed_background(url: str, customers: int) -> None:
    settings = load_settings(None, database=url)
    database = Database(settings.async_database_url)
    await migrate(database)
    stamp = int(time.time() * 1000)
    async with database.write() as conn:
        for start in range(0, customers, 1000):
            batch = range(start, min(start + 1000, customers))
            await conn.execute(sa.insert(customer_t), [{"id": f"bg{n:014d}", "attributes": {"FirstName": f"F{n}"}, "created_ms": stamp} for n in batch])
            journey = {"type_value": 1, "type_key": "1", "started_ms": stamp, "started": {"timestamp": "2024-01-01T00:00:00.000Z"}}
            ids = (await conn.execute(sa.insert(service_t).returning(service_t.c.id),
                                      [journey | {"customer_id": f"bg{n:014d}"} for n in batch])).scalars().all()
            state_ids = (await conn.execute(sa.insert(state_t).returning(state_t.c.id, state_t.c.service_id),
                                            [journey | {"service_id": i} for i in ids for _ in range(2)])).all()
            await conn.execute(sa.insert(task_t), [journey | {"service_id": s.service_id, "state_id": s.id} for s in state_ids])
    await database.dispose()


def seed_desktop(base: str) -> tuple[str, int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        schemas = {
            "services": [{"name": "Feedback", "type": "single-valued", "attributes": [
                {"name": "FeedbackType", "type": "string"}, {"name": "rating", "type": "integer"}, {"name": "notes", "type": "string"}]},
                {"name": "relatedOffers", "type": "multi-valued", "unique": ["offer_name"], "attributes": [
                    {"name": "offer_name", "type": "string"}, {"name": "type", "type": "integer"}, {"name": "comments", "type": "string"}]}],
            "states": [{"name": "Survey", "type": "single-valued", "attributes": [{"name": "score", "type": "integer"}]}],
            "tasks": [{"name": "Proposal", "type": "multi-valued", "attributes": [
                {"name": "car type", "type": "string"}, {"name": "price", "type": "integer"}]}],
        }
        for word, body in schemas.items():
            assert http.post(f"/metadata/{word}/extensions", json=body).status_code == 201
        time.sleep(1)
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
                                             "start_date": "2024-01-01T10:00:00Z"})
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
    script.write_text(WRK_SCRIPT.format(method=method, body=json.dumps(body) if body else "nil"))
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "60s",
               "-s", str(script), url]
    subprocess.run([*command[:6], "2s", *command[7:]], capture_output=True, check=True)  # warm-up
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(name: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    asyncio.run(seed_background(url, args.customers))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    port, floor_port = free_port(), free_port()
    server = start([COMMAND, "serve", "--port", str(port), "--database", url, "--log-level", "warning"], env, tmp / f"{name}.log")
    async_url = load_settings(None, database=url).async_database_url
    baseline = start([sys.executable, "-m", "uvicorn", "bench.baseline:app", "--port", str(floor_port), "--log-level", "warning",
                      "--no-access-log"], env | {"BASELINE_DATABASE": async_url}, tmp / f"{name}-baseline.log")
    base, floor = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    try:
        wait(f"{base}/server/status")
        customer, service = seed_desktop(base)
        wait(f"{floor}/tree/{customer}")
        rest = (f"{base}/customers/{customer}/services?active_states=true&completed_states=true&active_tasks=true"
                "&completed_tasks=true&extensions=Feedback,relatedOffers")
        cases = {
            "baseline tree": (f"{floor}/tree/{customer}", "GET", None),
            "graphql tree": (f"{base}/graphql", "POST", json.dumps({"query": TREE, "variables": {"id": customer}})),
            "rest tree": (rest, "GET", None),
            "graphql small": (f"{base}/graphql", "POST", json.dumps({"query": SMALL, "variables": {"id": service}})),
            "rest small": (f"{base}/services/{service}", "GET", None),
        }
        sizes = {case: len(httpx.request(method, target, content=body, headers={"content-type": "application/json"}).content)
                 for case, (target, method, body) in cases.items()}
        results: dict[str, object] = {"database": name, "customers": args.customers + 1, "sizes_bytes": sizes}
        for connections in (1, 32):
            for case, (target, method, body) in cases.items():
                measured = wrk(target, method, body, connections, args.seconds, tmp)
                results[f"{case} c{connections}"] = measured
                print(f"{name:<10} c={connections:<2} {case:<14} p50 {measured['p50']:8.2f} ms  p95 {measured['p95']:8.2f} ms  "
                      f"{measured['rps']:8.1f} req/s  errors {measured['errors']}", flush=True)
        results["server_peak_rss_mb"] = round(peak_rss_mb(server.pid), 1)
        print(f"{name:<10} server peak RSS {results['server_peak_rss_mb']} MB", flush=True)
        return results
    finally:
        for process in (server, baseline):
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--out", default="bench/results/tree.json")
    args = parser.parse_args()
    report = []
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("sqlite", f"sqlite:///{tmp}/tree.db")]
        if os.environ.get("CONTEXTGRAPH_TEST_POSTGRES"):
            databases.append(("postgresql", asyncio.run(fresh_postgres(os.environ["CONTEXTGRAPH_TEST_POSTGRES"]))))
        for name, url in databases:
            result = run(name, url, args, Path(tmp))
            for connections in (1, 32):
                floor = result[f"baseline tree c{connections}"]
                for case in ("graphql tree", "rest tree", "graphql small", "rest small"):
                    measured = result[f"{case} c{connections}"]
                    measured["p50_ratio"] = round(measured["p50"] / floor["p50"], 2)  # type: ignore[index]
                    measured["rps_ratio"] = round(measured["rps"] / floor["rps"], 2)  # type: ignore[index]
                    print(f"{name:<10} c={connections:<2} {case:<14} p50 = {measured['p50_ratio']:5.2f} × baseline, "  # type: ignore[index]
                          f"throughput = {measured['rps_ratio']:4.2f} × baseline", flush=True)  # type: ignore[index]
            report.append(result)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"tree": report}, indent=2) + "\n")


if __name__ == "__main__":
    main()
