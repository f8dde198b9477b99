"""Fifty concurrent clients over real HTTP against one service and one customer, then the
invariants: no lost update, one state per transition, unique rules kept, no 5xx, no "locked".
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx

from tests.helpers import OFFERS
from tests.servers import AUTH, free_port, wait_ready

CLIENTS = 50


async def test_fifty_clients_keep_every_invariant(serve, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    process = serve(
        "--port", str(port), "--database", database_url, env={"CONTEXTGRAPH_RATE_LIMIT": "0"}
    )  # load, not its limit
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60, headers=AUTH) as http:
        for word in ("services", "tasks"):
            assert (await http.post(f"/metadata/{word}/extensions", json=OFFERS)).status_code == 201
        await asyncio.sleep(0.1)
        customer_id = (await http.post("/profiles", json={"FirstName": "Load"})).json()["customer_id"]
        service_id = (
            await http.post(
                "/services/start",
                json={
                    "service_type": 1,
                    "customer_id": customer_id,
                    "relatedOffers": [{"offer_name": f"o{n}"} for n in range(10)],
                },
            )
        ).json()["service_id"]
        first_state = (await http.post(f"/services/{service_id}/states/start", json={"state_type": 0})).json()[
            "state_id"
        ]
        statuses: list[int] = []
        transitions: list[int] = []
        acknowledged: dict[str, set[int]] = {f"o{n}": set() for n in range(10)}

        async def client(n: int) -> None:
            rng = random.Random(n)
            for step in range(8):
                action = rng.choice(("transition", "task", "unique", "replace-task"))
                if action == "transition":
                    active = (await http.get(f"/services/{service_id}/states/active")).json()
                    body = {"from": {"state_id": active[0]["state_id"]}, "to": {"state_type": n}}
                    response = await http.post(f"/services/{service_id}/states/transition", json=body)
                    if response.status_code == 201:
                        transitions.append(response.json()["state_id"])
                elif action == "task":
                    response = await http.post(f"/services/{service_id}/tasks/start", json={"task_type": n})
                    if response.status_code == 201:
                        task_id = response.json()["task_id"]
                        statuses.append(
                            (
                                await http.post(f"/services/{service_id}/tasks/{task_id}/end", json={"disposition": n})
                            ).status_code
                        )
                elif action == "unique":
                    offer = f"o{rng.randrange(10)}"
                    marker = n * 100 + step
                    response = await http.put(
                        f"/services/{service_id}/extensions/relatedOffers/by/unique",
                        json={"offer_name": offer, "type": marker},
                    )
                    if response.status_code == 204:
                        acknowledged[offer].add(marker)
                else:
                    task_id = (await http.post(f"/services/{service_id}/tasks/start", json={"task_type": "x"})).json()[
                        "task_id"
                    ]
                    response = await http.put(
                        f"/services/{service_id}/tasks/{task_id}/extensions/relatedOffers",
                        json=[{"offer_name": "a"}, {"offer_name": "b"}],
                    )
                statuses.append(response.status_code)

        await asyncio.gather(*(client(n) for n in range(CLIENTS)))

        assert all(s < 500 for s in statuses), sorted(set(statuses))
        assert set(statuses) <= {200, 201, 204, 409}, sorted(set(statuses))
        states = (await http.get(f"/services/{service_id}/states")).json()
        active = [s for s in states if "completed" not in s]
        assert len(active) == 1  # never two active copies from one transition
        assert len(states) == 1 + len(transitions)  # every acknowledged transition, and nothing else
        chain = {s["started"].get("previous_state_id") for s in states if s["state_id"] != first_state}
        assert len(chain) == len(transitions)  # each completed state was left exactly once
        offers = (await http.get(f"/services/{service_id}?extensions=relatedOffers")).json()["relatedOffers"]
        assert sorted(o["offer_name"] for o in offers) == [f"o{n}" for n in range(10)]  # unique rule held
        for offer in offers:  # each record holds one of the values acknowledged for it (or its default)
            assert offer["type"] in (acknowledged[offer["offer_name"]] or {0})
        tasks = (await http.get(f"/services/{service_id}/tasks/completed")).json()
        assert all(t["duration"] >= 0 for t in tasks)
        assert (await http.get("/server/status")).json()["server_errors_today"] == 0
    assert "locked" not in (tmp_path / "server-0.log").read_text()
