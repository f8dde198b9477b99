"""Compiled plans against graphql-core's field walk on generated queries: two real servers on one
database (SQLite, PostgreSQL), one with `graphql_compiled` off, are asked the same queries — drawn
from the live schema by hypothesis-graphql, then given aliases, repeated fields, inline and named
fragments, `__typename`, `@include`/`@skip` on variables — over a customer with a typed tree.
Every answer must be the same bytes, errors and all. `make fuzz` asks many more.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
)
from graphql.language import ArgumentNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from tests.conftest import _pg_admin, _pg_database_url
from tests.fuzzing import EXAMPLES
from tests.helpers import FEEDBACK, OFFERS, PROPOSAL
from tests.servers import AUTH, COMMAND, KEY, free_port, wait_ready
from tests.test_operations import _metric

GENERATED = settings(
    max_examples=max(60, EXAMPLES * 10),
    deadline=None,
    derandomize=EXAMPLES <= 10,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _start(folder: Path, url: str, name: str, compiled: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTEXTGRAPH_")}
    env |= {
        "CONTEXTGRAPH_BOOTSTRAP_KEY": KEY,
        "CONTEXTGRAPH_RATE_LIMIT": "0",
        "CONTEXTGRAPH_GRAPHQL_COMPILED": "true" if compiled else "false",
        "CONTEXTGRAPH_REFRESH_INTERVAL": "1",
    }
    with open(folder / f"{name}.log", "wb") as log:
        process = subprocess.Popen(
            [COMMAND, "serve", "--port", str(port), "--database", url],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    wait_ready(base, process)
    return process, base


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(compiled, graphql-core) servers on one database."""
    folder = tmp_path_factory.mktemp("differential")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'both.db'}"
    else:
        name = f"diff_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {request.getfixturevalue('pg_template')}"))
        url = _pg_database_url(name)
    started = [_start(folder, url, "compiled", True)]
    try:
        started.append(_start(folder, url, "graphql-core", False))
        yield started[0][1], started[1][1]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(10)
    for log in ("compiled", "graphql-core"):
        assert "Traceback" not in (folder / f"{log}.log").read_text()


@pytest.fixture(scope="module")
def world(servers: tuple[str, str]) -> dict[str, Any]:
    """A customer with typed extensions on every level, completed and active journeys, interactions;
    and the schema both servers serve once they have seen the extension schemas."""
    compiled, reference = servers
    with httpx.Client(base_url=compiled, headers=AUTH, timeout=30) as http:
        assert http.post("/server/mode", json={"mode": "maintenance"}).status_code == 200
        vip = {"name": "Vip", "type": "single-valued", "attributes": [{"name": "level", "type": "integer"}]}
        assert http.post("/metadata/profiles/extensions", json=vip).status_code < 300
        assert http.post("/server/mode", json={"mode": "production"}).status_code == 200
        for kind, schemas in (("services", [FEEDBACK, OFFERS]), ("states", [FEEDBACK]), ("tasks", [PROPOSAL])):
            assert http.post(f"/metadata/{kind}/extensions", json=schemas).status_code < 300, kind
        customer = http.post("/profiles", json={"FirstName": "Ada", "Vip": {"level": 3}}).json()["customer_id"]
        services = []
        for n in range(3):
            body = {
                "customer_id": customer,
                "service_type": n,
                "interaction_id": f"i{n}",
                "media_type": "chat",
                "Feedback": {"FeedbackType": "survey", "rating": n},
                "relatedOffers": [{"offer_name": f"o{i}", "type": i} for i in range(n)],
            }
            service = http.post("/services/start", json=body).json()["service_id"]
            services.append(service)
            for s in range(2):
                state = http.post(
                    f"/services/{service}/states/start",
                    json={"state_type": s, "Feedback": {"FeedbackType": "t", "rating": s}},
                ).json()
                task = http.post(
                    f"/services/{service}/tasks/start",
                    json={
                        "task_type": f"t{s}",
                        "state_id": state["state_id"],
                        "Proposal": [{"car type": "van", "price": 3}],
                    },
                ).json()
                if s:
                    http.post(f"/services/{service}/tasks/{task['task_id']}/end", json={"disposition": "done"})
            if n == 2:
                http.post(f"/services/{service}/end", json={"disposition": 7, "disposition_desc": "ok"})
        anonymous = http.post("/services/start", json={"service_type": 1, "contact_key": "k1"}).json()["service_id"]
    schema = None
    for base in (compiled, reference):  # both have seen the new extension schemas (refresh: 1 s)
        for _ in range(100):
            with httpx.Client(base_url=base, headers=AUTH, timeout=30) as http:
                answer = http.post("/graphql", json={"query": graphql.get_introspection_query()}).json()
            found = graphql.build_client_schema(answer["data"])
            task = found.get_type("Task")
            if isinstance(task, GraphQLObjectType) and "extensions" in task.fields:
                schema = found
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"{base} never served the extension schemas")
    return {"customer": customer, "services": [*services, anonymous], "schema": schema}


def _global(type_name: str, document_id: object) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{document_id}".encode()).rstrip(b"=").decode()


STRINGS = ["k1", "i1", "nobody", "t1", "1", "2024-01-01T00:00:00.000Z"]


def _scalars(world: dict[str, Any]) -> dict[str, st.SearchStrategy[Any]]:
    ids = [*world["services"], 999_999]
    return {
        # either form of id (root fields take both): documents' ids and global ids, of every kind
        "ID": st.sampled_from(
            [world["customer"], "nobody", *map(str, ids), _global("Customer", world["customer"])]
            + [_global("Service", i) for i in ids]
        ).map(lambda v: StringValueNode(value=v)),
        "Long": st.sampled_from(ids).map(lambda v: IntValueNode(value=str(v))),
        "Int": st.sampled_from([1, 2, 3, 0, 999_999]).map(lambda v: IntValueNode(value=str(v))),
        "String": st.sampled_from(STRINGS).map(lambda v: StringValueNode(value=v)),
        "LongOrString": st.sampled_from(["1", "t0"]).map(lambda v: StringValueNode(value=v)),
    }


class _Decorate:
    """Aliases, repeated fields, fragments and directives, drawn into a generated document."""

    def __init__(self, draw: st.DrawFn, schema: GraphQLSchema) -> None:
        self.draw, self.schema = draw, schema
        self.fragments: list[FragmentDefinitionNode] = []
        self.variables: dict[str, bool] = {}
        self.aliases = 0

    def selections(self, parent: GraphQLObjectType, selection_set: SelectionSetNode) -> SelectionSetNode:
        made: list[Any] = []
        for node in selection_set.selections:
            assert isinstance(node, FieldNode)
            field = parent.fields[node.name.value]
            inner = get_named_type(field.type)
            sub = (
                self.selections(inner, node.selection_set)
                if node.selection_set and isinstance(inner, GraphQLObjectType)
                else node.selection_set
            )
            alias = None
            if self.draw(st.integers(0, 4)) == 0:
                self.aliases += 1
                alias = NameNode(value=f"a{self.aliases}")
            directives = []
            if self.draw(st.integers(0, 5)) == 0:
                name = f"v{len(self.variables)}"
                self.variables[name] = self.draw(st.booleans())
                condition = ArgumentNode(name=NameNode(value="if"), value=VariableNode(name=NameNode(value=name)))
                directives.append(
                    DirectiveNode(
                        name=NameNode(value=self.draw(st.sampled_from(["include", "skip"]))), arguments=(condition,)
                    )
                )
            field_node = FieldNode(
                alias=alias, name=node.name, arguments=node.arguments, directives=tuple(directives), selection_set=sub
            )
            made.append(field_node)
            if self.draw(st.integers(0, 6)) == 0:
                made.append(field_node)  # the same field twice: merged
        if self.draw(st.integers(0, 3)) == 0:
            made.insert(self.draw(st.integers(0, len(made))), FieldNode(name=NameNode(value="__typename")))
        if len(made) > 1 and self.draw(st.integers(0, 3)) == 0:  # some of them through a fragment
            cut = self.draw(st.integers(1, len(made) - 1))
            inner_set = SelectionSetNode(selections=tuple(made[cut:]))
            if self.draw(st.booleans()):
                condition = NamedTypeNode(name=NameNode(value=parent.name)) if self.draw(st.booleans()) else None
                made = [
                    *made[:cut],
                    InlineFragmentNode(type_condition=condition, directives=(), selection_set=inner_set),
                ]
            else:
                name = f"F{len(self.fragments)}"
                self.fragments.append(
                    FragmentDefinitionNode(
                        name=NameNode(value=name),
                        type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                        directives=(),
                        selection_set=inner_set,
                    )
                )
                made = [*made[:cut], FragmentSpreadNode(name=NameNode(value=name), directives=())]
        return SelectionSetNode(selections=tuple(made))


@st.composite
def _documents(draw: st.DrawFn, world: dict[str, Any]) -> tuple[str, dict[str, bool]]:
    schema = world["schema"]
    generated = draw(
        queries(
            schema,
            fields=["customer", "service", "state", "task", "anonymousServices"],  # node: graphql-core's
            custom_scalars=_scalars(world),
            print_ast=lambda d: d,
            allow_x00=False,
            allow_null=False,
        )
    )
    assert isinstance(generated, DocumentNode)
    operation = generated.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    decorate = _Decorate(draw, schema)
    selection_set = decorate.selections(schema.query_type, operation.selection_set)
    variables = tuple(
        VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)),
            type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="Boolean"))),
            directives=(),
        )
        for name in decorate.variables
    )
    document = DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=operation.operation,
                name=NameNode(value="Generated"),
                variable_definitions=variables,
                directives=(),
                selection_set=selection_set,
            ),
            *decorate.fragments,
        )
    )
    text = graphql.print_ast(document)
    assert not graphql.validate(schema, graphql.parse(text)), text
    return text, decorate.variables


def test_generated_queries_are_answered_as_graphql_core_answers_them(
    servers: tuple[str, str], world: dict[str, Any]
) -> None:
    compiled, reference = servers
    asked = {"data": 0, "errors": 0}
    with (
        httpx.Client(base_url=compiled, headers=AUTH, timeout=30) as a,
        httpx.Client(base_url=reference, headers=AUTH, timeout=30) as b,
    ):

        @GENERATED
        @given(_documents(world))
        def check(document: tuple[str, dict[str, bool]]) -> None:
            text, variables = document
            body = {"query": text, "variables": variables}
            mine, theirs = a.post("/graphql", json=body), b.post("/graphql", json=body)
            assert (mine.status_code, mine.content) == (theirs.status_code, theirs.content), text
            answer = mine.json()
            asked["errors" if answer.get("errors") else "data"] += 1

        check()
    assert asked["data"], asked  # both kinds of answer were compared
    assert asked["errors"], asked
    for base, executor in ((compiled, "compiled"), (reference, "graphql-core")):  # each ran as it says
        ran = _metric(
            httpx.get(f"{base}/metrics", headers=AUTH).text, "contextgraph_graphql_executions_total", executor=executor
        )
        assert ran >= asked["data"], (executor, ran, asked)
