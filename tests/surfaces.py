"""One behaviour, two surfaces: a journey spoken over REST or over GraphQL, so a test body runs on
both (as Strawberry's own tests run one body over every integration). Each surface answers in the
same terms: ids, and a `Refusal(status, code, message)` for what it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx


@dataclass
class Refusal(Exception):
    status: int
    code: int
    message: str


class Surface(Protocol):
    name: str

    async def start_service(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> int: ...
    async def start_state(self, service_id: int, body: dict[str, Any]) -> int: ...
    async def start_task(self, service_id: int, body: dict[str, Any]) -> int: ...
    async def complete_task(self, service_id: int, task_id: int, body: dict[str, Any]) -> None: ...
    async def transition(self, service_id: int, body: dict[str, Any]) -> int: ...
    async def complete_service(self, service_id: int, body: dict[str, Any]) -> None: ...
    async def tree(self, customer_id: str) -> list[dict[str, Any]]: ...


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)


class Rest:
    name = "rest"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        response = await self.client.post(path, json=body, headers=headers)
        if response.status_code >= 400:
            error = response.json()
            raise Refusal(response.status_code, error["code"], error["description"])
        return response.json() if response.content else None

    async def start_service(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        return int((await self._post("/services/start", body, headers))["service_id"])

    async def start_state(self, service_id: int, body: dict[str, Any]) -> int:
        return int((await self._post(f"/services/{service_id}/states/start", body))["state_id"])

    async def start_task(self, service_id: int, body: dict[str, Any]) -> int:
        return int((await self._post(f"/services/{service_id}/tasks/start", body))["task_id"])

    async def complete_task(self, service_id: int, task_id: int, body: dict[str, Any]) -> None:
        await self._post(f"/services/{service_id}/tasks/{task_id}/end", body)

    async def transition(self, service_id: int, body: dict[str, Any]) -> int:
        return int((await self._post(f"/services/{service_id}/states/transition", body))["state_id"])

    async def complete_service(self, service_id: int, body: dict[str, Any]) -> None:
        await self._post(f"/services/{service_id}/end", body)

    async def tree(self, customer_id: str) -> list[dict[str, Any]]:
        flags = "active_states=true&completed_states=true&active_tasks=true&completed_tasks=true"
        response = await self.client.get(f"/customers/{customer_id}/services?{flags}")
        if response.status_code >= 400:
            error = response.json()
            raise Refusal(response.status_code, error["code"], error["description"])
        trees = []
        for service in response.json():
            states = service.get("active_states", []) + service.get("completed_states", [])
            tasks = service.get("active_tasks", []) + service.get("completed_tasks", [])
            trees.append(
                {
                    "service_id": service["service_id"],
                    "active": "completed" not in service,
                    "states": sorted((s["state_id"], "completed" not in s) for s in states),
                    "tasks": sorted((t["task_id"], t.get("state_id"), "completed" not in t) for t in tasks),
                }
            )
        return trees


class GraphQL:
    name = "graphql"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def _run(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        response = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = response.json()
        if body.get("errors"):
            error = body["errors"][0]
            raise Refusal(error["extensions"]["status"], error["extensions"]["code"], error["message"])
        return body["data"]

    @staticmethod
    def _input(body: dict[str, Any]) -> dict[str, Any]:
        return {_camel(k): GraphQL._input(v) if isinstance(v, dict) else v for k, v in body.items()}

    async def start_service(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        query = "mutation($i: ServiceStartInput!) { startService(input: $i) { id: serviceId } }"
        return int((await self._run(query, headers, i=self._input(body)))["startService"]["id"])

    async def start_state(self, service_id: int, body: dict[str, Any]) -> int:
        query = "mutation($s: Long!, $i: StateStartInput!) { startState(serviceId: $s, input: $i) { id: stateId } }"
        return int((await self._run(query, s=service_id, i=self._input(body)))["startState"]["id"])

    async def start_task(self, service_id: int, body: dict[str, Any]) -> int:
        query = "mutation($s: Long!, $i: TaskStartInput!) { startTask(serviceId: $s, input: $i) { id: taskId } }"
        return int((await self._run(query, s=service_id, i=self._input(body)))["startTask"]["id"])

    async def complete_task(self, service_id: int, task_id: int, body: dict[str, Any]) -> None:
        query = "mutation($s: Long!, $t: Int!, $i: TaskEndInput) { completeTask(serviceId: $s, taskId: $t, input: $i) { id: taskId } }"
        await self._run(query, s=service_id, t=task_id, i=self._input(body))

    async def transition(self, service_id: int, body: dict[str, Any]) -> int:
        query = (
            "mutation($s: Long!, $i: TransitionInput!) { transitionState(serviceId: $s, input: $i) { id: stateId } }"
        )
        return int((await self._run(query, s=service_id, i=self._input(body)))["transitionState"]["id"])

    async def complete_service(self, service_id: int, body: dict[str, Any]) -> None:
        query = (
            "mutation($s: Long!, $i: ServiceEndInput) { completeService(serviceId: $s, input: $i) { id: serviceId } }"
        )
        await self._run(query, s=service_id, i=self._input(body))

    async def tree(self, customer_id: str) -> list[dict[str, Any]]:
        query = """query($c: ID!) { customer(id: $c) { services { id: serviceId active
            states { id: stateId active } tasks { id: taskId stateId active } } } }"""
        services = (await self._run(query, c=customer_id))["customer"]["services"]
        return [
            {
                "service_id": s["id"],
                "active": s["active"],
                "states": sorted((st["id"], st["active"]) for st in s["states"]),
                "tasks": sorted((t["id"], t["stateId"], t["active"]) for t in s["tasks"]),
            }
            for s in services
        ]
