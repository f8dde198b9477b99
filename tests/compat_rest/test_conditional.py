"""Lost updates: GET answers of profiles, services, states and tasks carry an ETag from the one
version source; a write sent with an If-Match naming an older version is 412 and writes nothing;
If-None-Match revalidates (304); clients may keep the answers, shared caches may not."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import OFFERS, assert_error, new_customer, new_schema, new_service, new_state, new_task

OFFERS_URL = "/services/{}/extensions/relatedOffers"


@pytest.fixture
async def offers(client: httpx.AsyncClient) -> None:
    for word in ("services", "states", "tasks"):
        await new_schema(client, word, [OFFERS])


async def _tag(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private"
    assert response.headers["vary"] == "Authorization"
    tag = response.headers["etag"]
    assert tag.startswith('"')
    assert tag.endswith('"')
    return tag


async def test_a_profile_revalidates_and_refuses_a_stale_update(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    path = f"/profiles/{customer_id}"
    tag = await _tag(client, path)
    unchanged = await client.get(path, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == tag
    assert unchanged.headers["cache-control"] == "private"
    assert (await client.get(path, headers={"If-None-Match": f'"x", W/{tag}'})).status_code == 304  # weak compare

    updated = await client.put(path, json={"FirstName": "Grace"}, headers={"If-Match": tag})
    assert updated.status_code == 200, updated.text
    fresh = await _tag(client, path)
    assert fresh != tag
    assert (await client.get(path, headers={"If-None-Match": tag})).json()["FirstName"] == "Grace"

    before = await snapshot(app)
    stale = await client.put(path, json={"FirstName": "Ada"}, headers={"If-Match": tag})
    assert_error(stale, 412, method="PUT", fragment="changed since it was read")
    assert await snapshot(app) == before
    assert (
        await client.put(path, json={"FirstName": "Ada"}, headers={"If-Match": f'"nope", {fresh}'})
    ).status_code == 200


async def test_a_missing_resource_is_404_and_a_malformed_if_match_400(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    assert_error(
        await client.put("/profiles/NoSuchCustomer00", json={}, headers={"If-Match": '"1-0-0"'}), 404, method="PUT"
    )
    for bad in ("1-0-0", '"unterminated', '"a" "b"', "W/x", '"a",,'):
        response = await client.put(f"/profiles/{customer_id}", json={}, headers={"If-Match": bad})
        assert_error(response, 400, method="PUT", fragment="If-Match")
    bad_get = await client.get(f"/profiles/{customer_id}", headers={"If-None-Match": "no quotes"})
    assert_error(bad_get, 400, method="GET", fragment="If-None-Match")
    star = await client.put(f"/profiles/{customer_id}", json={"FirstName": "Any"}, headers={"If-Match": "*"})
    assert star.status_code == 200


@pytest.mark.usefixtures("offers")
async def test_journeys_carry_etags_that_move_with_what_they_show(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id, state_id=state_id)
    paths = {
        "service": f"/services/{service_id}",
        "state": f"/services/{service_id}/states/{state_id}",
        "task": f"/services/{service_id}/task/{task_id}",
    }
    tags = {kind: await _tag(client, path) for kind, path in paths.items()}
    for kind, path in paths.items():
        assert (await client.get(path, headers={"If-None-Match": tags[kind]})).status_code == 304
    # A task's record changes: the task, its state (which lists it) and its service move.
    done = await client.put(f"/services/{service_id}/tasks/{task_id}/extensions/relatedOffers", json=[])
    assert done.status_code == 200
    moved = {kind: await _tag(client, path) for kind, path in paths.items()}
    assert all(moved[kind] != tags[kind] for kind in paths), (tags, moved)
    # A service's own record changes: only the service moves.
    assert (await client.put(OFFERS_URL.format(service_id), json=[{"offer_name": "a"}])).status_code == 200
    after = {kind: await _tag(client, path) for kind, path in paths.items()}
    assert after["service"] != moved["service"]
    assert (after["state"], after["task"]) == (moved["state"], moved["task"])


@pytest.mark.usefixtures("offers")
async def test_every_journey_write_honours_if_match(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id)
    base = f"/services/{service_id}"
    stale = {
        "service": await _tag(client, base),
        "state": await _tag(client, f"{base}/states/{state_id}"),
        "task": await _tag(client, f"{base}/tasks/{task_id}"),
    }
    await new_task(client, service_id, state_id=state_id)  # moves the service and that state
    await client.put(f"{base}/tasks/{task_id}/extensions/relatedOffers", json=[])  # moves the task
    writes: list[tuple[str, str, Any, str]] = [
        ("PUT", f"{base}/extensions/relatedOffers", [], "service"),
        ("PUT", f"{base}/extensions/relatedOffers/by/unique", {"offer_name": "x"}, "service"),
        ("POST", f"{base}/end", {}, "service"),
        ("POST", f"{base}/states/start", {"state_type": 1}, "service"),
        ("POST", f"{base}/tasks/start", {"task_type": 1}, "service"),
        ("POST", f"{base}/states/transition", {"from": {"state_id": state_id}, "to": {"state_type": 2}}, "service"),
        ("PUT", f"{base}/states/{state_id}/extensions/relatedOffers", [], "state"),
        ("POST", f"{base}/states/{state_id}/end", {}, "state"),
        ("PUT", f"{base}/tasks/{task_id}/extensions/relatedOffers", [], "task"),
        ("POST", f"{base}/tasks/{task_id}/end", {}, "task"),
    ]
    before = await snapshot(app)
    for method, path, body, kind in writes:
        response = await client.request(method, path, json=body, headers={"If-Match": stale[kind]})
        assert_error(response, 412, method=method, fragment="changed since")
    assert await snapshot(app) == before
    current = await _tag(client, f"{base}/tasks/{task_id}")
    assert (await client.post(f"{base}/tasks/{task_id}/end", json={}, headers={"If-Match": current})).status_code == 204


@pytest.mark.usefixtures("offers")
async def test_fifty_read_modify_writes_lose_nothing(client: httpx.AsyncClient) -> None:
    """50 clients add an offer each to one multi-valued extension by GET, append, PUT with If-Match
    (retrying after a 412): every one ends in the list; without If-Match most would be lost."""
    service_id = await new_service(client)
    url = OFFERS_URL.format(service_id)
    refused = 0

    async def add(n: int) -> None:
        nonlocal refused
        for _ in range(200):
            read = await client.get(f"/services/{service_id}?extensions=relatedOffers")
            offers = read.json().get("relatedOffers", [])
            put = await client.put(
                url, json=[*offers, {"offer_name": f"offer {n}"}], headers={"If-Match": read.headers["etag"]}
            )
            if put.status_code == 200:
                return
            assert put.status_code == 412, put.text
            refused += 1
        raise AssertionError(f"client {n} never got its update in")

    await asyncio.gather(*(add(n) for n in range(50)))
    final = (await client.get(f"/services/{service_id}?extensions=relatedOffers")).json()["relatedOffers"]
    assert sorted(o["offer_name"] for o in final) == sorted(f"offer {n}" for n in range(50))
    assert refused > 0  # they did collide
