"""Hostile GraphQL against a real server on SQLite and PostgreSQL: negative and huge list arguments,
nested cycles (service → states → service → …), aliases through fragments, deep and exploding
fragments, huge variables. Each is answered — a refusal or data — within 5 s, never with a 5xx or
a masked error. A fixed corpus runs in `make test`; `make fuzz` adds many generated cycles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import fuzzing
from tests.fuzzing import FUZZ, graphql_answered
from tests.servers import AUTH

fuzz_server = fuzzing.fuzz_server  # the module's server: one on SQLite, one on PostgreSQL

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
SERVICE_FIELDS = "id serviceType active startedAt completedAt started completed duration"


@pytest.fixture(scope="module")
def tree(fuzz_server: str) -> dict[str, Any]:
    """A customer with 3 services of 3 states of 3 tasks, and an interaction: something to walk."""
    with httpx.Client(base_url=fuzz_server, headers=AUTH, timeout=30) as http:
        customer = http.post("/profiles", json={"FirstName": "Hostile"}).json()["customer_id"]
        for _ in range(3):
            service = http.post("/services/start", json={"service_type": 1, "customer_id": customer}).json()
            for _ in range(3):
                state = http.post(f"/services/{service['service_id']}/states/start", json={"state_type": 2}).json()
                for _ in range(3):
                    http.post(
                        f"/services/{service['service_id']}/tasks/start",
                        json={"task_type": 3, "state_id": state["state_id"]},
                    )
        return {"customer": customer, "service": service["service_id"]}


@pytest.fixture(scope="module")
def http(fuzz_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server, headers=AUTH, timeout=30) as client:
        yield client


def _ask(http: httpx.Client, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    response = http.post("/graphql", json={"query": query, "variables": variables, **extra})
    graphql_answered(response)
    return response


def _cycle(depth: int, first: int | None = None, offset: int | None = None) -> str:
    """`service(id: $s) { states { service { states { … } } } }`, `depth` lists deep."""
    page = ", ".join(f"{name}: {value}" for name, value in (("first", first), ("offset", offset)) if value is not None)
    arguments = f"({page})" if page else ""
    inner = "id"
    for _ in range(depth):
        inner = f"id states{arguments} {{ id service {{ {inner} }} }}"
    return f"query($s: ID!) {{ service(id: $s) {{ {inner} }} }}"


def _corpus(tree: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    customer, service = tree["customer"], tree["service"]
    c = f'customer(id: "{customer}")'
    fragment_aliases = " ".join(f"a{i}: id" for i in range(30))
    roots = " ".join(f"r{i}: service(id: $s) {{ ...F }}" for i in range(30))
    chain = (
        " ".join(f"fragment F{i} on Service {{ id ...F{i + 1} }}" for i in range(200))
        + " fragment F200 on Service { id: serviceId }"
    )
    bomb = (
        " ".join(
            f"fragment B{i} on State {{ a: service {{ states {{ ...B{i + 1} }} }} b: service {{ states {{ ...B{i + 1} }} }} }}"
            for i in range(20)
        )
        + " fragment B20 on State { id: stateId }"
    )
    return [
        (
            "the issue's negative first in a cycle",
            f"{{ {c} {{ services {{ states {{ id service {{ states {{ id service {{ states {{ id service {{ states {{ id "
            f"service {{ id x: states(first: {INT_MIN}) {{ id }} }} }} }} }} }} }} }} }} }} }} }}",
            None,
        ),
        *[
            (f"{where} first {value}", query.replace("ARGS", f"first: {value}"), {"s": service})
            for value in (-1, 0, INT_MIN, INT_MAX, 2**31, 2**63)
            for where, query in (
                ("services", f"query($s: ID!) {{ {c} {{ services(ARGS) {{ id }} }} service(id: $s) {{ id }} }}"),
                ("states", "query($s: ID!) { service(id: $s) { states(ARGS) { id tasks(ARGS) { id } } } }"),
                (
                    "interactions",
                    f"query($s: ID!) {{ {c} {{ interactions(ARGS) {{ id }} }} service(id: $s) {{ id }} }}",
                ),
                (
                    "anonymous",
                    'query($s: ID!) { anonymousServices(contactKey: "k", ARGS) { id } service(id: $s) { id } }',
                ),
            )
        ],
        *[
            (
                f"offset {value}",
                f"query($s: ID!) {{ service(id: $s) {{ states(offset: {value}) {{ id }} }} }}",
                {"s": service},
            )
            for value in (-1, INT_MIN, INT_MAX, 2**40)
        ],
        (
            "first in a variable, negative",
            "query($s: ID!, $f: Int) { service(id: $s) { states(first: $f) { id: stateId } } }",
            {"s": service, "f": INT_MIN},
        ),
        (
            "first in a variable, beyond Int",
            "query($s: ID!, $f: Int) { service(id: $s) { states(first: $f) { id: stateId } } }",
            {"s": service, "f": 10**30},
        ),
        ("a cycle that runs", _cycle(3, first=3), {"s": service}),
        ("a cycle to the depth limit", _cycle(6), {"s": service}),
        ("a cycle past the depth limit", _cycle(40), {"s": service}),
        ("a cycle of first: 1000 lists", _cycle(6, first=1000), {"s": service}),
        ("a cycle of negative pages", _cycle(6, first=-5, offset=-5), {"s": service}),
        (
            "aliases through a fragment",
            f"query($s: ID!) {{ {roots} }} fragment F on Service {{ {fragment_aliases} }}",
            {"s": service},
        ),
        ("a chain of 200 fragments", f"query($s: ID!) {{ service(id: $s) {{ ...F0 }} }} {chain}", {"s": service}),
        (
            "a fragment cycle",
            "query($s: ID!) { service(id: $s) { ...A } } fragment A on Service { id ...B } "
            "fragment B on Service { id ...A }",
            {"s": service},
        ),
        (
            "an exploding fragment",
            f"query($s: ID!) {{ service(id: $s) {{ states {{ ...B0 }} }} }} {bomb}",
            {"s": service},
        ),
        (
            "a huge variable string",
            "query($k: String!) { anonymousServices(contactKey: $k) { id: serviceId } }",
            {"k": "k" * 900_000},
        ),
        (
            "a huge variable list",
            'query($t: [String!]) { anonymousServices(contactKey: "k", types: $t) { id: serviceId } }',
            {"t": [str(n) for n in range(100_000)]},
        ),
        (
            "a huge list literal",
            'query { anonymousServices(contactKey: "k", types: [' + ", ".join(['"7"'] * 4000) + "]) { id } }",
            None,
        ),
        (
            "many unused variables",
            "query($s: ID!) { service(id: $s) { id: serviceId } }",
            {"s": service} | {f"v{i}": i for i in range(20_000)},
        ),
        (
            "variables nested deep",
            "query($a: JSON!) { identify(attributes: $a) { id: customerId } }",
            {"a": _nested(40)},
        ),
        (
            "a variable of 50 000 keys",
            "query($a: JSON!) { identify(attributes: $a) { id: customerId } }",
            {"a": {f"k{i}": "v" for i in range(50_000)}},
        ),
        (
            "ids beyond Long",
            "{ service(id: 99999999999999999999999) { id: serviceId } state(serviceId: -9223372036854775808, id: -1) { id: stateId } }",
            None,
        ),
        ("500 operations, the last one run", " ".join(f"query Q{i} {{ serverStatus }}" for i in range(500)), None),
        (
            "introspection nested deep",
            "{ __schema { types { fields { type " + "{ ofType " * 20 + "{ name }" + " }" * 20 + " } } } }",
            None,
        ),
        (
            "a mutation with a huge extensions value",
            'mutation($e: ServiceExtensionsInput) { startService(input: {serviceType: 1, contactKey: "k", extensions: $e}) { id: serviceId } }',
            {"e": {f"x{i}": {"y": "z" * 100} for i in range(5000)}},
        ),
        (
            "a composite start of 5 000 items",
            "mutation($i: [CompositeStartInput!]!) { compositeStart(services: $i) { serviceId serviceCreated } }",
            {
                "i": [
                    {
                        "service": {"serviceType": 1, "contactKey": "k"},
                        "state": {"stateType": 2},
                        "task": {"taskType": 3},
                        "associateStateTask": True,
                    }
                ]
                * 5_000
            },
        ),
    ]


def _nested(depth: int) -> Any:
    value: Any = "v"
    for _ in range(depth):
        value = {"k": value}
    return value


NAMES = [name for name, _, _ in _corpus({"customer": "c", "service": 1})]
# Found by this corpus, not fixed yet (each fails when fixed: xfail is strict): (corpus entry, database) -> why.
KNOWN: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("name", NAMES)
def test_hostile_documents_are_answered_in_time_never_with_a_server_error(
    request: pytest.FixtureRequest, http: httpx.Client, tree: dict[str, Any], name: str
) -> None:
    known = KNOWN.get((name, request.node.callspec.params["fuzz_server"]))
    if known is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=known))
    query, variables = {n: (q, v) for n, q, v in _corpus(tree)}[name]
    _ask(http, query, variables)
    assert _ask(http, "{ serverStatus }").json()["data"]["serverStatus"]["mode"] == "production"  # still serving


def test_batches_are_refused(http: httpx.Client) -> None:
    assert http.post("/graphql", json=[{"query": "{ serverStatus }"}] * 1000).status_code == 400


@st.composite
def _cycles(draw: st.DrawFn) -> str:
    """A walk of the cycle service → states → tasks → service …, with drawn pages and aliases,
    parts of it spread through fragments.
    """
    page = st.one_of(st.none(), st.integers(INT_MIN, INT_MAX), st.sampled_from([-1, 0, 1, 1000, INT_MIN, INT_MAX]))
    fragments: list[str] = []
    inner = "id"
    for level in range(draw(st.integers(1, 16))):
        field = draw(st.sampled_from(["states", "tasks"]))
        pages = [f"{name}: {value}" for name in ("first", "offset") if (value := draw(page)) is not None]
        arguments = f"({', '.join(pages)})" if pages else ""
        aliases = " ".join(f"x{i}: {field}{arguments} {{ id }}" for i in range(draw(st.integers(0, 4))))
        selection = f"id {aliases} {field}{arguments} {{ id service {{ {inner} }} }}"
        if draw(st.booleans()):
            fragments.append(f"fragment L{level} on Service {{ {selection} }}")
            selection = f"...L{level}"
        inner = selection
    return f"query($s: ID!) {{ service(id: $s) {{ {inner} }} }} " + " ".join(fragments)


def test_generated_cycles_are_answered_in_time_never_with_a_server_error(
    http: httpx.Client, tree: dict[str, Any]
) -> None:
    @FUZZ
    @given(query=_cycles())
    def each(query: str) -> None:
        _ask(http, query, {"s": tree["service"]})

    each()
