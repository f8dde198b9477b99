"""Small request helpers shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx


async def new_customer(client: httpx.AsyncClient, **attributes: Any) -> str:
    response = await client.post("/profiles", json=attributes or {"FirstName": "Ada", "LastName": "Lovelace"})
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


async def new_service(client: httpx.AsyncClient, **fields: Any) -> int:
    body = {"service_type": 100, "contact_key": "408-832-7799"} | fields
    response = await client.post("/services/start", json=body)
    assert response.status_code == 201, response.text
    service_id: int = response.json()["service_id"]
    return service_id


async def new_state(client: httpx.AsyncClient, service_id: int, **fields: Any) -> int:
    response = await client.post(f"/services/{service_id}/states/start", json={"state_type": 8} | fields)
    assert response.status_code == 201, response.text
    state_id: int = response.json()["state_id"]
    return state_id


async def new_task(client: httpx.AsyncClient, service_id: int, **fields: Any) -> int:
    response = await client.post(f"/services/{service_id}/tasks/start", json={"task_type": 55} | fields)
    assert response.status_code == 201, response.text
    task_id: int = response.json()["task_id"]
    return task_id


def assert_error(response: httpx.Response, status: int, *, method: str, fragment: str = "") -> dict[str, Any]:
    """The documented error body, with this status."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"http_method", "title", "description", "code", "uri"}
    assert body["http_method"] == method
    assert body["uri"] == str(response.request.url)
    assert isinstance(body["code"], int)
    assert fragment.lower() in body["description"].lower(), body["description"]
    return body


FEEDBACK = {
    "name": "Feedback",
    "type": "single-valued",
    "attributes": [
        {"name": "FeedbackType", "type": "string", "length": "10", "mandatory": "true"},
        {"name": "rating", "type": "integer", "mandatory": "true"},
        {"name": "notes", "type": "string", "length": 256, "mandatory": "false"},
    ],
}
OFFERS = {
    "name": "relatedOffers",
    "type": "multi-valued",
    "attributes": [
        {"name": "offer_name", "type": "string", "length": 50, "mandatory": True},
        {"name": "type", "type": "integer", "default": "0"},
        {"name": "comments", "type": "string", "length": 1024},
    ],
    "unique": ["offer_name"],
}
PROPOSAL = {
    "name": "Proposal",
    "type": "multi-valued",
    "attributes": [
        {"name": "car type", "type": "string", "length": "50", "mandatory": "true"},
        {"name": "price", "type": "integer", "mandatory": "true"},
        {"name": "seats", "type": "integer"},
        {"name": "available", "type": "boolean"},
        {"name": "delivery", "type": "date"},
        {"name": "offered_at", "type": "datetime"},
        {"name": "discount", "type": "currency"},
    ],
    "unique": ["car type"],
}


async def new_schema(client: httpx.AsyncClient, word: str, body: object) -> None:
    """Create extension schemas (`word` is profiles, services, states or tasks)."""
    response = await client.post(f"/metadata/{word}/extensions", json=body)
    assert response.status_code == 201, response.text
