"""API keys and roles through the real app: 401 without a valid key, 403 without the role, on every
REST route and every GraphQL root field; the anonymous readiness probe; secrets never shown."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    is_composite_type,
)
from starlette.applications import Starlette

from contextgraph.compat_rest.routes import route_roles
from contextgraph.resolvers.access import keys
from contextgraph.resolvers.access.roles import TASKS
from contextgraph.schema.binding import binding_of
from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer, new_service
from tests.servers import KEY


async def make_key(app: Starlette, roles: list[str] | tuple[str, ...]) -> dict[str, str]:
    """A new key with these roles, already known to the app; its Authorization header."""
    async with app.state.runtime.db.write() as conn:
        _described, secret = await keys.create_key(conn, name=f"k-{uuid.uuid4().hex[:8]}", roles=list(roles))
    await app.state.runtime.refresh()
    return {"Authorization": f"Bearer {secret}"}


def _without(*tasks: str) -> list[str]:
    return [task for task in TASKS if task not in tasks]


async def test_no_key_is_401_everywhere_and_writes_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    before = await snapshot(app)
    anonymous = {"Authorization": ""}
    for method, path in (
        ("POST", "/services/start"),
        ("GET", "/genesys/1/cs/services/1"),
        ("GET", "/metadata/roles"),
        ("GET", "/metrics"),
        ("GET", "/ui"),
        ("GET", "/static/journey.js"),
        ("PUT", "/metadata/cache"),
    ):
        response = await client.request(method, path, json={"service_type": 1, "contact_key": "x"}, headers=anonymous)
        assert_error(response, 401, method=method, fragment="API key is required")
        assert "Basic realm=" in response.headers["www-authenticate"]
    graphql = await client.post(
        "/graphql",
        json={"query": "mutation { startService(input: {serviceType: 1}) { id: serviceId } }"},
        headers=anonymous,
    )
    assert graphql.status_code == 401
    error = graphql.json()["errors"][0]
    assert error["extensions"] == {"code": 4010, "status": 401}
    ide = await client.get("/graphql", headers={"accept": "text/html", "Authorization": ""})
    assert ide.status_code == 401
    assert await snapshot(app) == before


async def test_wrong_unknown_or_revoked_keys_are_401(app: Starlette, client: httpx.AsyncClient) -> None:
    good = await make_key(app, ["UCS.Service.readService"])
    service_id = await new_service(client)
    assert (await client.get(f"/services/{service_id}", headers=good)).status_code == 200
    no_scheme = "has no Bearer or Basic scheme: send Authorization: Bearer <key>"
    for header, says in (
        ("Bearer wrong", "unknown or revoked"),
        ("Bearer " + good["Authorization"][7:-1] + "x", "unknown or revoked"),
        ("Token abc", no_scheme),
        (good["Authorization"][7:], no_scheme),  # the key alone: the usual first mistake
        ("Basic !!!", "unknown or revoked"),
        ("Bearer cg_000000000000_" + "a" * 43, "unknown or revoked"),
    ):
        response = await client.get(f"/services/{service_id}", headers={"Authorization": header})
        assert_error(response, 401, method="GET", fragment=says)
        status = await client.get("/server/status", headers={"Authorization": header})  # not even the probe
        assert status.status_code == 401
    async with app.state.runtime.db.write() as conn:
        key_id = re.match(r"Bearer cg_([0-9a-f]+)_", good["Authorization"]).group(1)  # type: ignore[union-attr]
        await keys.revoke_key(conn, key_id)
    await app.state.runtime.refresh()
    assert_error(await client.get(f"/services/{service_id}", headers=good), 401, method="GET")


async def test_basic_auth_carries_the_key_as_password(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    basic = "Basic " + base64.b64encode(f"legacy-app:{KEY}".encode()).decode()
    response = await client.get(f"/services/{service_id}", headers={"Authorization": basic})
    assert response.status_code == 200
    assert response.json()["service_id"] == service_id


async def test_status_probe_is_anonymous_and_says_only_ready(app: Starlette, client: httpx.AsyncClient) -> None:
    for path in ("/server/status", "/genesys/1/cs/server/status"):
        anonymous = await client.get(path, headers={"Authorization": ""})
        assert anonymous.status_code == 200
        assert anonymous.json() == {"ready": True}
    full = await client.get("/server/status")
    assert {"version", "mode", "request_today"} <= set(full.json())
    no_role = await make_key(app, _without("UCS.SystemMgt.readServerInfo"))
    assert_error(await client.get("/server/status", headers=no_role), 403, method="GET", fragment="readServerInfo")


def _concrete(path: str) -> tuple[str, dict[str, Any]]:
    values = {
        "customer_id": "0000000000000000",
        "src_id": "0000000000000001",
        "service_id": 1,
        "state_id": 1,
        "task_id": 1,
        "kinds": "services",
        "name": "x",
        "contact_key": "k",
        "interaction_id": "i",
    }
    params: dict[str, Any] = {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        params[name] = values[name]
        return str(values[name])

    return re.sub(r"\{(\w+)(?::\w+)?\}", substitute, path), params


def bound(field: Any) -> Any:
    """The catalog binding of a graphql-core field (None for a plain field of an object)."""
    strawberry_field = field.extensions.get("strawberry-definition")
    return binding_of(strawberry_field.metadata) if strawberry_field is not None else None


async def test_every_route_refuses_a_key_without_its_role(app: Starlette, client: httpx.AsyncClient) -> None:
    table = route_roles()
    assert len(table) > 60
    checked = 0
    headers_for: dict[tuple[str, ...], dict[str, str]] = {}
    resolved = []
    for method, path, tasks in table:
        concrete, _params = _concrete(path)
        assert tasks, (method, path)
        assert set(tasks) <= set(TASKS), (method, path, tasks)
        if tasks not in headers_for:
            headers_for[tasks] = await make_key(app, _without(*tasks))
        resolved.append((method, concrete, tasks))
    before = await snapshot(app)
    for prefix in ("", "/genesys/1/cs"):
        for method, concrete, tasks in resolved:
            response = await client.request(
                method, prefix + concrete, headers=headers_for[tasks], json={"service_type": 1, "contact_key": "x"}
            )
            assert_error(response, 403, method=method, fragment=tasks[0])
            checked += 1
    assert await snapshot(app) == before
    assert checked == 2 * len(table)


async def test_what_a_query_includes_needs_its_roles_too(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client)
    reader = await make_key(app, ["UCS.Service.readService"])
    assert (await client.get(f"/services/{service_id}", headers=reader)).status_code == 200
    for spelling in ("true", "TRUE", " True"):  # as the handlers read it
        response = await client.get(f"/services/{service_id}?active_states={spelling}", headers=reader)
        assert_error(response, 403, method="GET", fragment="UCS.Service.readState")
    response = await client.get(f"/services/{service_id}?extensions=Feedback", headers=reader)
    assert_error(response, 403, method="GET", fragment="UCS.Service.readServiceExtension")
    states = await make_key(app, ["UCS.Service.readState", "UCS.Service.readServiceExtension"])
    for path in (f"/services/{service_id}/states", f"/services/{service_id}/state/active"):  # state extensions
        response = await client.get(f"{path}?extensions=Feedback", headers=states)
        assert_error(response, 403, method="GET", fragment="UCS.Service.readStateExtension")


def _literal(type_: Any) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{_literal(type_.of_type)}]" if get_named_type(type_).name == "ID" else "[]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        fields = [
            f"{name}: {_literal(f.type)}" for name, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(fields) + "}"
    assert isinstance(type_, GraphQLScalarType)
    # an ID is a global id (a service's, "Service:1"): node(id:) knows which read it needs from it
    literals = {"Int": "1", "Long": "1", "Float": "1.5", "Boolean": "true", "JSON": "{}", "ID": '"U2VydmljZTox"'}
    return literals.get(type_.name, '"1"')


def _operation(kind: str, name: str, field: Any) -> str:
    args = [f"{arg}: {_literal(a.type)}" for arg, a in field.args.items() if isinstance(a.type, GraphQLNonNull)]
    call = f"{name}({', '.join(args)})" if args else name
    selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
    return f"{kind} {{ {call}{selection} }}"


async def test_every_graphql_root_field_refuses_a_key_without_its_role(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    schema = app.routes[0].endpoint.schema._schema  # type: ignore[attr-defined]
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type)]
    lacking = await make_key(app, [])  # no role at all
    no_import = await make_key(app, _without("UCS.Customer.executeBulkImport"))
    before = await snapshot(app)
    checked = 0
    for kind, root in roots:
        for name, field in root.fields.items():
            assert bound(field) is not None, f"{root.name}.{name} is bound to no catalog operation"
            if name == "importProfiles":  # an Upload travels only in a multipart request: below
                continue
            query = _operation(kind, name, field)
            response = await client.post("/graphql", json={"query": query}, headers=lacking)
            body = response.json()
            assert body.get("data") is None, (query, body)
            assert body["errors"][0]["extensions"]["status"] == 403, (query, body)
            checked += 1
    assert bound(schema.subscription_type.fields["journey"]) is not None
    upload = await client.post(
        "/graphql",
        headers=no_import,
        files={
            "operations": (
                None,
                '{"query": "mutation($f: Upload!) { importProfiles(csv: $f, description: {}) }", "variables": {"f": null}}',
            ),
            "map": (None, '{"0": ["variables.f"]}'),
            "0": ("p.csv", b"FirstName\nAda\n", "text/csv"),
        },
    )
    assert upload.json()["errors"][0]["extensions"]["status"] == 403
    assert await snapshot(app) == before
    assert checked >= 30


async def test_nested_fields_need_the_role_of_what_they_reach(app: Starlette, client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    await new_service(client, customer_id=customer)
    profile_only = await make_key(app, ["UCS.Customer.readProfile"])
    query = "query($id: ID!) { customer(id: $id) { id: customerId ... on Customer { services { id: serviceId } } } }"
    refused = (
        await client.post("/graphql", json={"query": query, "variables": {"id": customer}}, headers=profile_only)
    ).json()
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {"code": 4030, "status": 403}
    assert "UCS.Service.readService" in refused["errors"][0]["message"]
    fine = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { customer(id: $id) { id: customerId } }", "variables": {"id": customer}},
        headers=profile_only,
    )
    assert fine.json() == {"data": {"customer": {"id": customer}}}
    kind = await make_key(app, _without("UCS.SchemaMgt.readStateExtensionSchema"))
    states = (await client.post("/graphql", json={"query": "{ extensionSchemas(kind: STATE) }"}, headers=kind)).json()
    assert states["errors"][0]["extensions"]["status"] == 403
    services = (
        await client.post("/graphql", json={"query": "{ extensionSchemas(kind: SERVICE) }"}, headers=kind)
    ).json()
    assert services == {"data": {"extensionSchemas": []}}


async def test_roles_list_every_key_and_task_and_no_secret(app: Starlette, client: httpx.AsyncClient) -> None:
    agent = await make_key(app, ["UCS.Service.readService", "UCS.Service.startService"])
    roles = (await client.get("/metadata/roles")).json()
    assert roles[0]["role_name"] == "bootstrap"
    mine = roles[-1]
    assert mine["role_enabled"] is True
    assert [t["name"] for t in mine["tasks"]] == list(TASKS)
    assert {t["name"] for t in mine["tasks"] if t["capableOf"]} == {
        "UCS.Service.readService",
        "UCS.Service.startService",
    }
    text = (await client.get("/metadata/roles")).text + (
        await client.post("/graphql", json={"query": "{ roles }"})
    ).text
    secret = agent["Authorization"][7:]
    async with app.state.runtime.db.read() as conn:
        stored = [tuple(row) for row in await conn.execute(keys.api_key_t.select())]
    for value in (secret, KEY, *(row[3] for row in stored), *(row[4] for row in stored)):  # secrets, salts, hashes
        assert value not in text
    assert all(secret not in str(row) and KEY not in str(row) for row in stored)


async def test_no_secret_reaches_the_log(
    app: Starlette, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "Bearer cg_0123456789ab_" + "s" * 43
    with caplog.at_level(logging.DEBUG):
        await client.get("/services/1", headers={"Authorization": wrong})
        await client.get("/services/1")
        await client.post("/graphql", json={"query": "{ nope }"}, headers={"Authorization": wrong})
        await client.post("/graphql", json={"query": "{ serverStatus }"})
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "contextgraph.access" in {r.name for r in caplog.records}
    assert KEY not in logged
    assert "s" * 43 not in logged


async def test_bootstrap_key_follows_the_environment(database_url: str) -> None:
    from contextgraph.app.main import create_app
    from contextgraph.app.settings import load_settings

    async def status(secret: str) -> int:
        application = create_app(load_settings(None, database=database_url, bootstrap_key=secret))
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                answer = await http.get("/metadata/roles", headers={"Authorization": f"Bearer {KEY}"})
                return answer.status_code

    assert await status(KEY) == 200
    assert await status("a-new-bootstrap-secret-000000") == 401  # the old secret no longer opens anything
    assert await status(KEY) == 200


async def test_workers_starting_together_each_ensure_the_bootstrap_key(database_url: str) -> None:
    """`--workers N` starts N processes at once, each ensuring the bootstrap key: they take turns
    (on PostgreSQL two inserts of the key once raced and a worker failed to start)."""
    from contextgraph.app.settings import load_settings
    from contextgraph.resolvers.context import Runtime
    from contextgraph.resolvers.store.database import Database
    from contextgraph.resolvers.store.migrate import migrate

    settings = load_settings(None, database=database_url)
    databases = [Database(settings.async_database_url) for _ in range(4)]
    try:
        await migrate(databases[0])
        runtimes = [Runtime.create(db, settings) for db in databases]
        for attempt in range(3):  # a new secret each time: every worker has something to write
            secret = f"bootstrap-secret-number-{attempt:04d}"
            await asyncio.gather(*(runtime.bootstrap(secret) for runtime in runtimes))
            await runtimes[0].refresh()
            assert runtimes[0].keyring.authenticate(secret) is not None
    finally:
        for db in databases:
            await db.dispose()


async def test_extension_values_in_events_need_the_extension_roles(app: Starlette, client: httpx.AsyncClient) -> None:
    schema = {"name": "Feedback", "type": "single-valued", "attributes": [{"name": "rating", "type": "integer"}]}
    assert (await client.post("/metadata/services/extensions", json=schema)).status_code == 201
    assert (await client.post("/metadata/states/extensions", json=schema)).status_code == 201
    starter = await make_key(
        app,
        [
            "UCS.Service.startService",
            "UCS.Service.startState",
            "UCS.Service.completeService",
            "UCS.Service.createServiceExtension",
        ],
    )
    before = await snapshot(app)
    body = {"service_type": 1, "contact_key": "k", "Feedback": {"rating": 5}}
    service = await client.post("/services/start", json=body, headers=starter)
    assert service.status_code == 201
    service_id = service.json()["service_id"]
    state = await client.post(
        f"/services/{service_id}/states/start", json={"state_type": 1, "Feedback": {"rating": 1}}, headers=starter
    )
    assert_error(state, 403, method="POST", fragment="UCS.Service.createStateExtension")
    ended = await client.post(f"/services/{service_id}/end", json={"Feedback": {"rating": 2}}, headers=starter)
    assert_error(ended, 403, method="POST", fragment="UCS.Service.updateServiceExtension")
    composite = await client.post(
        "/services_composite/start",
        headers=starter,
        json={
            "services": [
                {
                    "service": {"service_type": 1, "contact_key": "c"},
                    "state": {"state_type": 1, "Feedback": {"rating": 1}},
                }
            ]
        },
    )
    assert_error(composite, 403, method="POST", fragment="UCS.Service.createStateExtension")
    mutation = (
        "mutation { startState(serviceId: %d, input: {stateType: 1, extensions: {Feedback: {rating: 1}}}) { id } }"
    )
    graphql = (await client.post("/graphql", json={"query": mutation % service_id}, headers=starter)).json()
    assert graphql["errors"][0]["extensions"]["status"] == 403
    assert "UCS.Service.createStateExtension" in graphql["errors"][0]["message"]
    after = await snapshot(app)
    assert len(after["service"]) == len(before["service"]) + 1  # the one allowed start, nothing else
    assert after["state"] == before["state"]
    assert len(after["extension_record"]) == len(before["extension_record"]) + 1


async def test_a_cross_site_write_is_refused(app: Starlette, client: httpx.AsyncClient) -> None:
    """A page elsewhere could post a form with the Basic credentials the browser holds for us."""
    basic = {"Authorization": "Basic " + base64.b64encode(f"agent:{KEY}".encode()).decode()}
    before = await snapshot(app)
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        response = await client.post(
            "/services/start", json={"service_type": 1, "contact_key": "x"}, headers=basic | {"Origin": origin}
        )
        assert_error(response, 403, method="POST", fragment="cross-site")
    graphql = await client.post(
        "/graphql",
        headers=basic | {"Origin": "https://evil.example"},
        json={"query": "mutation { startService(input: {serviceType: 1}) { id: serviceId } }"},
    )
    assert graphql.status_code == 403
    assert graphql.json()["errors"][0]["extensions"]["status"] == 403
    assert await snapshot(app) == before
    same_site = await client.post(
        "/services/start", json={"service_type": 1, "contact_key": "x"}, headers=basic | {"Origin": "http://testserver"}
    )
    assert same_site.status_code == 201
    reading = await client.get(
        f"/services/{same_site.json()['service_id']}", headers={"Origin": "https://evil.example"}
    )
    assert reading.status_code == 200  # a read: the browser keeps the answer from the other page anyway
