"""Schemathesis against a real server, on SQLite and PostgreSQL: generated requests for every REST
operation of the published /openapi.json and every GraphQL root field. Whatever it sends, the server
answers within 5 s and never with a 5xx (nor a masked "unexpected" GraphQL error). Sequences of
operations: test_fuzz_stateful.py; hostile GraphQL documents: test_hostile_graphql.py.

`make test` runs a few examples per operation; `make fuzz` many (CONTEXTGRAPH_FUZZ_EXAMPLES).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from graphql import NameNode, ObjectFieldNode
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests import fuzzing
from tests.fuzzing import FUZZ, HOSTILE_TEXT, HOSTILE_TIMES, answered, graphql_answered
from tests.servers import AUTH

fuzz_server = fuzzing.fuzz_server  # the module's server: one on SQLite, one on PostgreSQL

# Hostile strings a GraphQL document can carry (a lone surrogate cannot be sent as UTF-8 at all).
_HOSTILE = [v for v in HOSTILE_TIMES + HOSTILE_TEXT if v != "\ud800" and len(v) < 1000]
schemathesis.graphql.scalar(
    "LongOrString",
    st.integers(0, 2**40).map(nodes.Int)
    | st.text(max_size=8).map(nodes.String)
    | st.sampled_from(_HOSTILE).map(nodes.String),
)
schemathesis.graphql.scalar(
    "JSON",
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3).map(
        lambda d: nodes.Object(
            [ObjectFieldNode(name=NameNode(value=f"k{i}"), value=nodes.String(v)) for i, v in enumerate(d.values())]
        )
    ),
)
schemathesis.graphql.scalar("Upload", st.just(nodes.Null))


def _fuzz(schema: Any, base: str, check: Any) -> int:
    """Every operation of `schema`, EXAMPLES generated cases each, through `check`; how many ran."""
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ
        @given(case=operation.as_strategy())
        def each(case: Any) -> None:
            check(case.call(base_url=base, headers=AUTH, timeout=10))  # over 5 s fails the check

        each()
        ran += 1
    return ran


def test_rest_operations_never_fail_on_our_side(fuzz_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json", headers=AUTH)
    assert _fuzz(schema, fuzz_server, answered) > 80


def test_graphql_fields_never_fail_on_our_side(fuzz_server: str) -> None:
    schema = schemathesis.graphql.from_url(f"{fuzz_server}/graphql", headers=AUTH)
    assert _fuzz(schema, fuzz_server, graphql_answered) > 30


def test_the_openapi_document_lists_every_route(fuzz_server: str) -> None:
    import httpx

    from contextgraph.compat_rest.routes import route_roles

    document = httpx.get(f"{fuzz_server}/openapi.json", headers=AUTH).json()
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    expected = {(m, p.replace(":int", "").replace(":kinds", "")) for m, p, _ in route_roles()}
    assert operations == expected
    assert httpx.get(f"{fuzz_server}/openapi.json").status_code == 401  # it needs a key like the rest
