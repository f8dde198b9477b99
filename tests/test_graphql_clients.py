"""Real GraphQL clients from Node (tests/graphql_http/*.mjs, npm packages `make test` installs), each
against a real server process:

- clients.mjs: Apollo Client's persisted-queries link hashes every operation, retries with the text on
  PersistedQueryNotFound and sends hashed queries over GET; urql's graphcache keeps a normalised
  cache that a mutation's answer updates.
- apollo_subscription.mjs: Apollo Client's normalised cache updated by a subscription (the `journey`
  over graphql-transport-ws with the `graphql-ws` package, the key in `connection_init`): a watched
  query answers a task started and the service completed over REST, from the cache, without a request.
- apollo_paging.mjs: Relay connection paging with Apollo's `relayStylePagination()`: forward with
  `first`/`after` and backward with `last`/`before` while services are started between pages, every
  service once and in order in the merged cached list.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import AUTH, KEY, free_port, wait_ready
from tests.test_operations import _metric

CLIENTS = Path(__file__).with_name("graphql_http")


def _sent(step: dict[str, Any]) -> list[tuple[str, bool, int]]:
    return [(request["method"], request["query"], request["status"]) for request in step["sent"]]


def _global_id(*parts: object) -> str:
    """The Relay global id of `parts` (`"Service", 7`): what the clients' caches key on."""
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).rstrip(b"=").decode()


@pytest.fixture
def server(serve, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'clients.db'}"))
    return url


def _node(script: str, *args: str) -> dict[str, Any]:
    """What the Node script in tests/graphql_http printed (JSON), run with the API key."""
    result = subprocess.run(
        ["node", script, *args],
        cwd=CLIENTS,
        env=os.environ | {"CONTEXTGRAPH_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, Any] = json.loads(result.stdout)
    return seen


def test_apollo_persisted_queries_and_urql_graphcache(server: str) -> None:
    url = server
    customer = httpx.post(f"{url}/profiles", json={"FirstName": "Ada"}, headers=AUTH).json()["customer_id"]
    seen = _node("clients.mjs", f"{url}/graphql", customer)
    # `id` is the Relay global id (what the clients' caches key on); the document's own is customerId
    global_id = _global_id("Customer", customer)
    ada = {"__typename": "Customer", "id": global_id, "customerId": customer, "attributes": {"FirstName": "Ada"}}

    # Apollo: hash alone, PersistedQueryNotFound (graphql-response+json: a 400 the link reads), the text
    assert seen["apolloPost"]["data"] == {"customer": ada}
    assert _sent(seen["apolloPost"]) == [("POST", False, 400), ("POST", True, 200)]
    hashes = {request["hash"] for request in seen["apolloPost"]["sent"]}
    assert len(hashes) == 1
    assert len(hashes.pop()) == 64
    # another client: the hash alone, once
    assert seen["apolloPostAgain"]["data"] == {"customer": ada}
    assert _sent(seen["apolloPostAgain"]) == [("POST", False, 200)]
    # GET for hashed queries: not found, the text by POST, then GET by hash alone
    assert _sent(seen["apolloGet"]) == [("GET", False, 400), ("POST", True, 200)]
    assert _sent(seen["apolloGetAgain"]) == [("GET", False, 200)]
    assert seen["apolloGetAgain"]["data"]["customer"]["services"] == []
    # mutations go by POST, never GET
    assert _sent(seen["apolloMutation"]) == [("POST", False, 400), ("POST", True, 200)]
    assert seen["apolloMutation"]["data"]["startService"]["serviceType"] == 42

    urql = seen["urql"]
    assert urql["error"] is None
    assert [s["serviceType"] for s in urql["before"]["customer"]["services"]] == [42]
    assert [s["serviceType"] for s in urql["cached"]["customer"]["services"]] == [42, 43]
    assert urql["requestsForCachedRead"] == 0  # answered from the normalised cache

    metrics = httpx.get(f"{url}/metrics", headers=AUTH).text
    assert _metric(metrics, "contextgraph_graphql_documents_refused_total", reason="not_found") == 3


def test_apollo_cache_follows_a_subscription(server: str) -> None:
    """A watched query answers what a `journey` event's Service brought into Apollo's normalised cache:
    the task started and the service completed over REST, with no HTTP request after the first."""
    customer = httpx.post(f"{server}/profiles", json={"FirstName": "Ada"}, headers=AUTH).json()["customer_id"]
    started = httpx.post(f"{server}/services/start", json={"service_type": 1, "customer_id": customer}, headers=AUTH)
    service = started.json()["service_id"]
    seen = _node("apollo_subscription.mjs", f"{server}/graphql", str(service))
    assert seen["failures"] == []
    assert seen["acknowledged"] == 1  # one socket, its connection_init's key taken

    # the events: the start replayed (`after: 0`: listening), then what REST changed, each with the
    # Service under its global id (what Apollo merges by)
    events = seen["events"]
    assert [(e["kind"], e["action"], e["taskId"]) for e in events] == [
        ("service", "started", None),
        ("task", "started", seen["taskId"]),
        ("service", "completed", None),
    ]
    assert [e["service"]["id"] for e in events] == [_global_id("Service", service)] * 3
    assert [e["sequence"] for e in events] == sorted({e["sequence"] for e in events})

    # the watched query's answers: as first read, with the task, completed; all from the one request
    completed_at = httpx.get(f"{server}/services/{service}", headers=AUTH).json()["completed"]["timestamp"]
    task = {
        "__typename": "Task",
        "id": _global_id("Task", service, seen["taskId"]),
        "taskId": seen["taskId"],
        "taskType": 7,
        "active": True,
    }
    first = {"__typename": "Service", "id": _global_id("Service", service), "serviceId": service}
    assert [answer["data"]["service"] for answer in seen["answers"]] == [
        first | {"active": True, "completedAt": None, "tasks": []},
        first | {"active": True, "completedAt": None, "tasks": [task]},
        first | {"active": False, "completedAt": completed_at, "tasks": [task]},
    ]
    assert [answer["requests"] for answer in seen["answers"]] == [1, 1, 1]
    assert seen["httpRequests"] == 1  # nothing refetched: the events' payloads updated the cache
    assert seen["cached"] == seen["answers"][-1]["data"]


def test_apollo_relay_pagination_across_inserts(server: str) -> None:
    """`relayStylePagination()` merges `servicesConnection` pages into one cached list while services
    are started between pages: forward every service once and in order, the new ones at the end;
    backward to the start without the ones started meanwhile, then forward again brings them."""
    customer = httpx.post(f"{server}/profiles", json={"FirstName": "Ada"}, headers=AUTH).json()["customer_id"]
    initial = [
        httpx.post(f"{server}/services/start", json={"service_type": 1, "customer_id": customer}, headers=AUTH).json()[
            "service_id"
        ]
        for _ in range(7)
    ]
    seen = _node("apollo_paging.mjs", f"{server}/graphql", customer)
    everything = [s["service_id"] for s in httpx.get(f"{server}/customers/{customer}/services", headers=AUTH).json()]

    # forward by 3: a service started before the second and the third page; both come at the end
    forward, during = seen["forward"], seen["startedForward"]
    assert len(during) == 2
    assert forward["pages"] == [initial[:3], initial[3:6], initial[6:] + during]
    assert forward["merged"] == forward["lastAnswer"] == initial + during
    assert forward["pageInfo"] | {"__typename": None} == {
        "__typename": None,
        "hasNextPage": False,
        "hasPreviousPage": False,  # unknown paging forward (Relay's rule): false
        "startCursor": _global_id("Service", initial[0]),
        "endCursor": _global_id("Service", during[-1]),
    }
    assert forward["requests"] == 3

    # backward by 3 from the end: a service started before each earlier page (never in the window);
    # then forward from the merged list's end: exactly those
    backward, later = seen["backward"], seen["startedBackward"]
    known = initial + during
    assert len(later) == 2
    assert backward["pages"] == [known[6:], known[3:6], known[:3], later]
    assert backward["merged"] == backward["lastAnswer"] == known + later == everything
    assert backward["pageInfo"] | {"__typename": None} == {
        "__typename": None,
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": _global_id("Service", known[0]),
        "endCursor": _global_id("Service", later[-1]),
    }
    assert backward["requests"] == 4
