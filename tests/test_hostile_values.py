"""Hostile values in every field of the writes, against a real server on SQLite and PostgreSQL
(issue 15's items 9, 11, 12 and 14 were each one such value in one field). Each of
fuzzing.HOSTILE_VALUES goes into each field of each request below, REST and GraphQL; every answer
is a refusal or a success within 5 s, never a 5xx, a masked error or a dropped connection, and
every content URL of what was recorded is served. `make fuzz` adds generated combinations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import fuzzing
from tests.fuzzing import FUZZ, HOSTILE_VALUES, answered, graphql_answered, hostile_values
from tests.servers import AUTH

fuzz_server = fuzzing.fuzz_server  # the module's server: one on SQLite, one on PostgreSQL


@pytest.fixture(scope="module")
def http(fuzz_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server, headers=AUTH, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def ids(http: httpx.Client) -> dict[str, Any]:
    customer = http.post("/profiles", json={"FirstName": "Hostile"}).json()["customer_id"]
    service = http.post("/services/start", json={"service_type": 1, "customer_id": customer}).json()["service_id"]
    state = http.post(f"/services/{service}/states/start", json={"state_type": 2}).json()["state_id"]
    schema = {
        "name": "Notes",
        "type": "multi-valued",
        "attributes": [
            {"name": "text", "type": "string"},
            {"name": "at", "type": "datetime"},
            {"name": "day", "type": "date"},
            {"name": "n", "type": "integer"},
            {"name": "l", "type": "long"},
            {"name": "d", "type": "double"},
            {"name": "b", "type": "boolean"},
            {"name": "c", "type": "currency"},
        ],
    }
    assert http.post("/metadata/services/extensions", json=schema).status_code == 201
    return {"customer": customer, "service": service, "state": state}


def _requests(ids: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(method, path, body) of the writes whose fields get the hostile values."""
    service, state, customer = ids["service"], ids["state"], ids["customer"]
    event = {"timestamp": "2009-05-07T12:05:20.157Z", "interaction_id": "i", "media_type": "voice"}
    chat = {
        "interaction_id": "chat",
        "customer_id": customer,
        "entity_type": 2,
        "media_type": "chat",
        "type": "Inbound",
        "status": 3,
        "creator_app_id": 1,
        "start_date": "2009-08-05T09:33:10Z",
        "released_date": "2009-08-05T09:34:10Z",
        "subject": "s",
        "structured_text": "<p>hi</p>",
        "structured_text_mime": "text/html",
    }
    record = {"text": "t", "at": "2009-05-07T12:05:20Z", "day": "2009-05-07", "n": 1, "l": 2, "d": 0.5, "b": True}
    notes = {"Notes": [record | {"c": 1.25}]}
    return [
        ("POST", "/services/start", {"service_type": 1, "contact_key": "k", **event, **notes}),
        ("POST", f"/services/{service}/states/start", {"state_type": 2, "est_duration": 5, **event}),
        ("POST", f"/services/{service}/tasks/start", {"task_type": 3, "state_id": state, **event}),
        ("POST", "/services/{fresh}/states/transition", {"from": {"state_id": "{state}"}, "to": {"state_type": 4}}),
        ("POST", "/services/{fresh}/end", {"disposition": 1, "disposition_desc": "d", **event}),
        ("POST", "/profiles", {"FirstName": "A", "LastCalledAgent_TimeStamp": "2009-05-07T12:05:20Z"}),
        ("PUT", f"/profiles/{customer}", {"LastName": "B", "EmailAddress": ["a@b.c"]}),
        ("POST", "/interactions", chat),
        (
            "POST",
            "/genesys/1/cs/services_composite/start",
            {"services": [{"service": {"service_type": 1, "contact_key": "c"}, "state": {"state_type": 2}}]},
        ),
        ("POST", "/metadata/identification-keys", {"name": "k1", "attributes": ["LastName"]}),
        ("PUT", f"/services/{service}/extensions/Notes", [record | {"c": 2}]),
    ]


def _send(http: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    """As JSON with ASCII escapes, so a lone surrogate travels (as `\\ud800`) the way a client sends it.
    A request that completes something (`{fresh}`) gets a service and state of its own."""
    if "{fresh}" in path:
        service = http.post("/services/start", json={"service_type": 1, "contact_key": "f"}).json()["service_id"]
        state = http.post(f"/services/{service}/states/start", json={"state_type": 2}).json()["state_id"]
        path = path.replace("{fresh}", str(service))
        body = json.loads(json.dumps(body).replace('"{state}"', str(state)))
    content = json.dumps(body).encode()
    response = http.request(method, path, content=content, headers={"content-type": "application/json"})
    answered(response)
    if response.status_code == 201 and path == "/interactions":  # what was recorded is served
        for name in ("structured_text", "plain_text", "binary_content"):
            answered(http.get(f"/interactions/{response.json()['interaction_id']}/{name}"))
    return response


def _variants(body: Any, value: Any) -> Iterator[Any]:
    """`body` with `value` in each of its fields in turn (nested objects and the first list item too)."""
    if isinstance(body, list):
        yield from ([inner] for inner in _variants(body[0], value))
        return
    for key, original in body.items():
        yield {**body, key: value}
        if isinstance(original, dict):
            for inner in _variants(original, value):
                yield {**body, key: inner}
        if isinstance(original, list) and original and isinstance(original[0], dict):
            for inner in _variants(original[0], value):
                yield {**body, key: [inner]}
    yield {**body, "undocumented": value}


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: ascii(v)[:40])
def test_each_hostile_value_in_each_field_is_answered(http: httpx.Client, ids: dict[str, Any], value: Any) -> None:
    for method, path, body in _requests(ids):
        for number, variant in enumerate(_variants(body, value)):
            if path == "/interactions":  # each its own id, so each is judged by its fields
                variant = {**variant, "interaction_id": variant.get("interaction_id", f"c{number}")}
                if variant["interaction_id"] == "chat":
                    variant["interaction_id"] = f"chat-{number}-{HOSTILE_VALUES.index(value)}"
            _send(http, method, path, variant)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: ascii(v)[:40])
def test_each_hostile_value_in_graphql_inputs_is_answered(http: httpx.Client, ids: dict[str, Any], value: Any) -> None:
    mutation = "mutation($i: ServiceStartInput!) { startService(input: $i) { id duration } }"
    start = {"serviceType": 1, "contactKey": "g", "timestamp": "2009-05-07T12:05:20Z", "mediaType": "voice"}
    for variant in _variants(start, value):
        response = http.post("/graphql", content=json.dumps({"query": mutation, "variables": {"i": variant}}).encode())
        graphql_answered(response)
    query = "query($c: ID!, $t: String) { customer(id: $c) { services(startedFrom: $t) { id } } }"
    variables = {"c": ids["customer"], "t": value}
    graphql_answered(http.post("/graphql", content=json.dumps({"query": query, "variables": variables}).encode()))


def test_generated_hostile_bodies_are_answered(http: httpx.Client, ids: dict[str, Any]) -> None:
    requests = _requests(ids)

    @FUZZ
    @given(which=st.integers(0, len(requests) - 1), values=st.lists(hostile_values(), min_size=1, max_size=3))
    def each(which: int, values: list[Any]) -> None:
        method, path, body = requests[which]
        for value in values:
            variants = list(_variants(body, value))
            body = variants[len(ascii(value)) % len(variants)]
        _send(http, method, path, body)

    each()


def test_each_hostile_value_in_an_import_description_is_answered(http: httpx.Client) -> None:
    description = {"format": "csv", "batch-size": 2, "encoding": "utf-8", "delimiter": ",", "id-key": "k1"}
    description |= {"max-errors": 5, "start-from-index": 0}
    assert http.post("/server/mode", json={"mode": "maintenance"}).status_code == 200
    try:
        for value in HOSTILE_VALUES:
            for variant in _variants(description, value):
                files: dict[str, Any] = {
                    "description": (None, json.dumps(variant), "application/json"),
                    "profiles": ("p.csv", b"FirstName,LastName\r\nA\x00,B\r\nC,D\r\n", "text/csv"),
                }
                answered(http.post("/profiles/import", files=files))
    finally:
        assert http.post("/server/mode", json={"mode": "production"}).status_code == 200
