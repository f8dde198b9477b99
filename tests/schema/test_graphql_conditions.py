"""GraphQL writes honour versions and idempotency keys as REST's do: `version` on Customer, Service,
State and Task is REST's ETag; a mutation's `ifMatch` naming an older one is error 4120 (412) and
writes nothing; a start's `idempotencyKey` makes a retry answer the first result without writing
(409 with another input), with keys shared with REST's Idempotency-Key."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.resolvers.store.tables import service_t
from tests.conftest import snapshot
from tests.helpers import OFFERS, new_customer, new_schema, new_service, new_state, new_task
from tests.schema.test_compiled import _both_ways
from tests.servers import AUTH
from tests.test_subscriptions import _subscribe
from tests.test_subscriptions import servers as two_servers  # noqa: F401 - a fixture: a reader's and a writer's server


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(body: dict[str, Any], code: int, fragment: str = "") -> dict[str, Any]:
    """The one error of `body`, with this code (and its status), saying `fragment`."""
    assert len(body.get("errors", [])) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["status"] == {4020: 400, 4090: 409, 4120: 412}[code], error
    assert fragment in error["message"], error
    return error


async def etag(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def _services(app: Starlette) -> int:
    async with app.state.runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(service_t)) or 0)


TREE = """query($c: ID!) { customer(id: $c) { id customerId version
  services { id serviceId version states { stateId version } tasks { taskId version } } } }"""


async def test_the_version_read_over_graphql_is_rests_etag(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id, state_id=state_id)
    # Through the compiled tree and through each root field (a Relay global id or the document's id).
    customer = (await gql(client, TREE, c=customer_id))["data"]["customer"]
    service = customer["services"][0]
    assert customer["version"] == await etag(client, f"/profiles/{customer_id}")
    assert service["version"] == await etag(client, f"/services/{service_id}")
    assert service["states"][0]["version"] == await etag(client, f"/services/{service_id}/states/{state_id}")
    assert service["tasks"][0]["version"] == await etag(client, f"/services/{service_id}/tasks/{task_id}")
    by_global = await gql(client, "query($s: ID!) { service(id: $s) { serviceId version } }", s=service["id"])
    assert by_global["data"]["service"] == {"serviceId": service_id, "version": service["version"]}
    node = await gql(client, "query($c: ID!) { node(id: $c) { ... on Customer { version } } }", c=customer["id"])
    assert node["data"]["node"]["version"] == customer["version"]
    # A write moves it, REST's and GraphQL's alike; the mutation's answer carries the new one.
    done = await gql(
        client,
        "mutation($s: Long!, $t: Int!) { completeTask(serviceId: $s, taskId: $t) { version } }",
        s=service_id,
        t=task_id,
    )
    assert done["data"]["completeTask"]["version"] == await etag(client, f"/services/{service_id}/tasks/{task_id}")
    assert done["data"]["completeTask"]["version"] != service["tasks"][0]["version"]


async def test_versions_are_built_by_the_compiled_plan_as_by_graphql_core(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    await new_task(client, service_id, state_id=await new_state(client, service_id))
    query = TREE.replace("states {", "statesConnection { edges { cursor node { version } } } states {")
    body = await _both_ways(app, client, query, {"c": customer_id}, "compiled")  # the same bytes both ways
    service = body["data"]["customer"]["services"][0]
    assert service["statesConnection"]["edges"][0]["node"]["version"] == service["states"][0]["version"]


UPDATE = """mutation($c: ID!, $a: JSON!, $v: String) {
  updateProfile(customerId: $c, attributes: $a, ifMatch: $v) { version attributes } }"""


async def test_a_stale_if_match_is_412_and_writes_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    read = (await gql(client, TREE, c=customer_id))["data"]["customer"]["version"]
    fresh = await gql(client, UPDATE, c=customer_id, a={"FirstName": "Grace"}, v=read)
    assert "errors" not in fresh, fresh
    assert fresh["data"]["updateProfile"]["attributes"]["FirstName"] == "Grace"
    assert fresh["data"]["updateProfile"]["version"] == await etag(client, f"/profiles/{customer_id}")

    before = await snapshot(app)
    stale = await gql(client, UPDATE, c=customer_id, a={"FirstName": "Ada"}, v=read)
    refused(stale, 4120, "changed since it was read")
    assert stale["data"] is None
    assert await snapshot(app) == before
    # As REST's If-Match: a list naming the current one, or *, passes; REST's own ETag passes.
    current = fresh["data"]["updateProfile"]["version"]
    assert "errors" not in await gql(client, UPDATE, c=customer_id, a={"FirstName": "B"}, v=f'"nope", {current}')
    assert "errors" not in await gql(client, UPDATE, c=customer_id, a={"FirstName": "C"}, v="*")
    rest = await etag(client, f"/profiles/{customer_id}")
    assert "errors" not in await gql(client, UPDATE, c=customer_id, a={"FirstName": "D"}, v=rest)


async def test_every_update_of_a_journey_checks_its_if_match(app: Starlette, client: httpx.AsyncClient) -> None:
    for word in ("services", "states", "tasks"):
        await new_schema(client, word, [OFFERS])
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    state_id = await new_state(client, service_id)
    task_id = await new_task(client, service_id, state_id=state_id)
    leaving = await new_state(client, service_id)  # the state a transition completes
    service, state, task = (
        f"/services/{service_id}",
        f"/services/{service_id}/states/{state_id}",
        f"/services/{service_id}/tasks/{task_id}",
    )
    offers = '{relatedOffers: [{offer_name: "o"}]}'
    writes = [  # (mutation, the resource whose version it checks)
        (
            f"associateService(customerId: {customer_id!r}, serviceId: {service_id}, ifMatch: $v) {{ serviceId }}",
            service,
        ),
        (f"startState(serviceId: {service_id}, input: {{stateType: 2}}, ifMatch: $v) {{ stateId }}", service),
        (f"startTask(serviceId: {service_id}, input: {{taskType: 2}}, ifMatch: $v) {{ taskId }}", service),
        (
            f"transitionState(serviceId: {service_id}, input: {{from: {{stateId: {leaving}}}, to: {{stateType: 3}}}}, "
            "ifMatch: $v) { stateId }",
            service,
        ),
        (
            f"replaceExtension(owner: {{kind: TASK, serviceId: {service_id}, taskId: {task_id}}}, "
            f"value: {{task: {offers}}}, ifMatch: $v)",
            task,
        ),
        (f"completeTask(serviceId: {service_id}, taskId: {task_id}, ifMatch: $v) {{ taskId }}", task),
        (f"completeState(serviceId: {service_id}, stateId: {state_id}, ifMatch: $v) {{ stateId }}", state),
        (f"completeService(serviceId: {service_id}, ifMatch: $v) {{ serviceId }}", service),
    ]
    for field, path in writes:
        document = "mutation($v: String) { " + field.replace("'", '"') + " }"
        read = await etag(client, path)
        moved = await client.put(f"{path}/extensions/relatedOffers", json=[{"offer_name": field[:40]}])
        assert moved.status_code in (200, 204), moved.text
        before = await snapshot(app)
        refused(await gql(client, document, v=read), 4120, "changed since it was read")
        assert await snapshot(app) == before, field
        answer = await gql(client, document, v=await etag(client, path))
        assert "errors" not in answer, (field, answer)


async def test_each_mutation_of_a_document_has_its_own_if_match(app: Starlette, client: httpx.AsyncClient) -> None:
    first, second = await new_customer(client), await new_customer(client, FirstName="Bo")
    tags = [await etag(client, f"/profiles/{c}") for c in (first, second)]
    await client.put(f"/profiles/{second}", json={"FirstName": "moved on"})
    both = await gql(
        client,
        """mutation($a: ID!, $b: ID!, $ta: String, $tb: String) {
          a: updateProfile(customerId: $a, attributes: {FirstName: "A"}, ifMatch: $ta) { customerId }
          b: updateProfile(customerId: $b, attributes: {FirstName: "B"}, ifMatch: $tb) { customerId } }""",
        a=first,
        b=second,
        ta=tags[0],
        tb=tags[1],
    )
    assert refused(both, 4120)["path"] == ["b"]  # mutations run in order: a wrote, b was refused
    assert both["data"] is None  # (updateProfile is non-null: b's error nulls the answer)
    assert (await client.get(f"/profiles/{first}")).json()["FirstName"] == "A"
    assert (await client.get(f"/profiles/{second}")).json()["FirstName"] == "moved on"


async def test_a_malformed_if_match_or_key_is_400_and_writes_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    before = await snapshot(app)
    for tag in ("", "7-1-x", '"unterminated', "W/", '"a" "b"', '"a",,', "\u200b"):
        refused(await gql(client, UPDATE, c=customer_id, a={"FirstName": "Z"}, v=tag), 4020, "If-Match")
    start = 'mutation($k: String) { startService(input: {contactKey: "k", serviceType: 1}, idempotencyKey: $k) { serviceId } }'
    for key in ("", " ", "a b", "x" * 256, "clé", "tab\there", "zero\u200bwidth"):
        refused(await gql(client, start, k=key), 4020, "Idempotency-Key")
    assert await snapshot(app) == before


START = """mutation($c: ID!, $t: LongOrString!, $k: String) {
  startService(input: {customerId: $c, serviceType: $t}, idempotencyKey: $k) { id serviceId version } }"""


async def test_a_retried_start_answers_the_first_result(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    first = await gql(client, START, c=customer_id, t=100, k="b3f1c2d4-retry")
    assert "errors" not in first, first
    before = await snapshot(app)
    again = await gql(client, START, c=customer_id, t=100, k="b3f1c2d4-retry")
    assert again == first
    assert await snapshot(app) == before  # nothing written, not even the key again
    service = first["data"]["startService"]  # `id` is its Relay global id, as ever
    found = await gql(client, "query($s: ID!) { service(id: $s) { serviceId } }", s=service["id"])
    assert found["data"]["service"] == {"serviceId": service["serviceId"]}
    changed = await gql(client, START, c=customer_id, t=200, k="b3f1c2d4-retry")
    refused(changed, 4090, "Idempotency-Key")
    assert await snapshot(app) == before
    # Without a key, or with another, a start is a new service.
    assert (await gql(client, START, c=customer_id, t=100))["data"] != first["data"]
    assert (await gql(client, START, c=customer_id, t=100, k="other"))["data"] != first["data"]


async def test_state_task_transition_and_composite_starts_replay(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id)
    state_id = await new_state(client, service_id)
    starts = [
        f"startState(serviceId: {service_id}, input: {{stateType: 9}}, idempotencyKey: $k) {{ stateId }}",
        f"startTask(serviceId: {service_id}, input: {{taskType: 9, stateId: {state_id}}}, idempotencyKey: $k) "
        "{ taskId stateId }",
        f"transitionState(serviceId: {service_id}, input: {{from: {{stateId: {state_id}}}, to: {{stateType: 3}}}}, "
        "idempotencyKey: $k) { stateId previousStateId }",
        f'compositeStart(services: [{{service: {{customerId: "{customer_id}", serviceType: "S"}}, '
        'state: {stateType: "T"}, task: {taskType: "K"}}], idempotencyKey: $k) '
        "{ serviceId serviceCreated stateId stateCreated taskId taskCreated }",
    ]
    for n, field in enumerate(starts):
        document = "mutation($k: String) { " + field + " }"
        first = await gql(client, document, k=f"g{n}")
        assert "errors" not in first, first
        before = await snapshot(app)
        assert await gql(client, document, k=f"g{n}") == first
        assert await snapshot(app) == before
    composite = (await gql(client, "mutation($k: String) { " + starts[3] + " }", k="g3"))["data"]["compositeStart"]
    assert composite[0]["serviceCreated"] is True  # the first answer, as it was


async def test_keys_are_shared_with_rest(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    rest = await client.post(
        "/services/start",
        json={"customer_id": customer_id, "service_type": 100},
        headers={"Idempotency-Key": "one-key"},
    )
    assert rest.status_code == 201, rest.text
    before = await snapshot(app)
    # The same start, its input in GraphQL's words: the first result, nothing written.
    same = await gql(client, START, c=customer_id, t=100, k="one-key")
    assert same["data"]["startService"]["serviceId"] == rest.json()["service_id"]
    assert await snapshot(app) == before
    # Another operation or another input with that key: 409, nothing written.
    other = await gql(
        client,
        'mutation($s: Long!) { startState(serviceId: $s, input: {stateType: 1}, idempotencyKey: "one-key") { stateId } }',
        s=rest.json()["service_id"],
    )
    refused(other, 4090, "another request")
    refused(await gql(client, START, c=customer_id, t=101, k="one-key"), 4090)
    assert await snapshot(app) == before
    # And the other way round: a key a GraphQL start kept answers REST's retry of it.
    started = await gql(client, START, c=customer_id, t=7, k="from-graphql")
    retried = await client.post(
        "/services/start",
        json={"service_type": 7, "customer_id": customer_id},
        headers={"Idempotency-Key": "from-graphql"},
    )
    assert retried.status_code == 201, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["service_id"] == started["data"]["startService"]["serviceId"]


async def test_concurrent_duplicates_write_once(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    answers = await asyncio.gather(*(gql(client, START, c=customer_id, t=7, k="together") for _ in range(20)))
    assert all("errors" not in a for a in answers), answers
    assert len({a["data"]["startService"]["serviceId"] for a in answers}) == 1
    assert await _services(app) == 1


async def test_a_huge_if_match_is_400_not_a_database_error(app: Starlette, client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    tag = await etag(client, f"/profiles/{customer_id}")
    suffix = tag.split("-", 1)[1]
    huge = ", ".join([*(f'"{n}-{suffix}' for n in range(2, 45_000)), tag])  # tens of thousands of versions
    before = await snapshot(app)
    refused(await gql(client, UPDATE, c=customer_id, a={"FirstName": "Z"}, v=huge), 4020, "longer than 8192")
    assert await snapshot(app) == before
    many = ", ".join([*(f'"{n}-{suffix}' for n in range(2, 400)), tag])  # a long list that fits: it passes
    assert "errors" not in await gql(client, UPDATE, c=customer_id, a={"FirstName": "Z"}, v=many)


async def test_a_retried_conditional_start_replays_rather_than_412(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    read = await etag(client, f"/services/{service_id}")
    start = """mutation($s: Long!, $v: String, $k: String) {
      startState(serviceId: $s, input: {stateType: 4}, ifMatch: $v, idempotencyKey: $k) { stateId } }"""
    first = await gql(client, start, s=service_id, v=read, k="ivr-retry")
    assert "errors" not in first, first
    # The start moved the service's version: the same request again is the first one's retry, not a stale write.
    before = await snapshot(app)
    assert await gql(client, start, s=service_id, v=read, k="ivr-retry") == first
    assert await snapshot(app) == before
    # A refused start keeps no key: sent again with a fresh version under that key, it runs.
    refused(await gql(client, start, s=service_id, v=read, k="after-412"), 4120)
    again = await gql(client, start, s=service_id, v=await etag(client, f"/services/{service_id}"), k="after-412")
    assert "errors" not in again, again
    assert again["data"]["startState"]["stateId"] != first["data"]["startState"]["stateId"]


async def test_a_subscription_shows_the_version_a_write_left(two_servers: tuple[str, str]) -> None:  # noqa: F811
    reader, writer = two_servers
    async with httpx.AsyncClient(base_url=writer, headers=AUTH) as http:
        service_id = await new_service(http)
        socket = await _subscribe(reader, s=service_id)
        try:
            await socket.send(
                json.dumps(
                    {
                        "id": "2",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription($s: Long) { journey(serviceId: $s) { service { version } } }",
                            "variables": {"s": service_id},
                        },
                    }
                )
            )
            await asyncio.sleep(0.5)
            await new_state(http, service_id)
            shown = set()
            for _ in range(2):  # one event for each subscription
                message = json.loads(await asyncio.wait_for(socket.recv(), 5))
                if message["id"] == "2":
                    shown.add(message["payload"]["data"]["journey"]["service"]["version"])
            assert shown == {await etag(http, f"/services/{service_id}")}
        finally:
            await socket.close()


async def test_a_start_with_typed_extension_values_is_the_same_start_over_rest(client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", [OFFERS])
    customer_id = await new_customer(client)
    started = await gql(
        client,
        """mutation($c: ID!, $x: ServiceExtensionsInput) {
          startService(input: {customerId: $c, serviceType: 1, extensions: $x}, idempotencyKey: "typed") {
            serviceId extensions { relatedOffers { offer_name } } } }""",
        c=customer_id,
        x={"relatedOffers": [{"offer_name": "a"}]},
    )
    assert started["data"]["startService"]["extensions"] == {"relatedOffers": [{"offer_name": "a"}]}
    body = {"customer_id": customer_id, "service_type": 1, "relatedOffers": [{"offer_name": "a"}]}
    retried = await client.post("/services/start", json=body, headers={"Idempotency-Key": "typed"})
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json() == {"service_id": started["data"]["startService"]["serviceId"]}
    body["relatedOffers"] = [{"offer_name": "b"}]
    assert (await client.post("/services/start", json=body, headers={"Idempotency-Key": "typed"})).status_code == 409
