"""Typed extension inputs: every extension schema gives GraphQL an input type (attribute types and
names as in the output types), so a wrong type or an unknown attribute is refused by validation,
before anything runs, and a valid value round-trips; the types follow schema changes live.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import FEEDBACK, OFFERS, PROPOSAL, new_customer, new_schema, new_service, new_task
from tests.schema.test_graphql import gql

TYPED = {
    "name": "Typed",
    "type": "single-valued",
    "attributes": [
        {"name": "label", "type": "string", "length": 10},
        {"name": "count", "type": "integer"},
        {"name": "big", "type": "long"},
        {"name": "flag", "type": "boolean"},
        {"name": "day", "type": "date"},
        {"name": "at", "type": "datetime"},
        {"name": "price", "type": "currency"},
        {"name": "ratio", "type": "double"},
        {"name": "car type", "type": "string"},
    ],
}
START = 'mutation($s: ServiceExtensionsInput) { startService(input: {contactKey: "k", serviceType: 1, extensions: $s}) { id: serviceId } }'

INLINE = (
    'mutation { startService(input: {contactKey: "k", serviceType: 1, extensions: {Typed: {%s}}}) { id: serviceId } }'
)


def _not_run(body: dict[str, Any], fragment: str) -> None:
    """A validation error: nothing ran (no data, no path), the message says what is wrong."""
    assert body.get("data") is None, body
    assert all("path" not in e for e in body["errors"]), body
    assert fragment in " ".join(e["message"] for e in body["errors"]), body


@pytest.mark.parametrize(
    ("literal", "value", "fragment"),
    [
        ("label: 5", {"label": 5}, "String"),  # string
        ('count: "7"', {"count": "7"}, "Int"),  # integer
        ("count: 3.5", {"count": 3.5}, "Int"),
        ("count: 2147483648", {"count": 2**31}, "Int"),  # past 32 bits
        ('big: "9"', {"big": "9"}, "Long"),  # long
        ("big: 9223372036854775808", {"big": 2**63}, "Long"),  # past 64 bits
        ('flag: "true"', {"flag": "true"}, "Boolean"),  # boolean
        ("day: 20240101", {"day": 20240101}, "String"),  # date
        ("at: true", {"at": True}, "String"),  # datetime
        ('price: "1.5"', {"price": "1.5"}, "Float"),  # currency
        ('ratio: "x"', {"ratio": "x"}, "Float"),  # double
        ("ratio: false", {"ratio": False}, "Float"),
        ("nope: 1", {"nope": 1}, "nope"),  # unknown attribute
        ('car_type: ["a"]', {"car_type": ["a"]}, "String"),
    ],
)
async def test_a_wrong_attribute_is_a_validation_error_and_writes_nothing(
    app: Starlette, client: httpx.AsyncClient, literal: str, value: dict[str, Any], fragment: str
) -> None:
    await new_schema(client, "services", TYPED)
    before = await snapshot(app)
    _not_run(await gql(client, INLINE % literal), fragment)
    _not_run(await gql(client, START, s={"Typed": value}), fragment)
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    ("extensions", "fragment"),
    [
        ({"Feedback": [{"FeedbackType": "a", "rating": 1}]}, "Feedback"),  # a list for a single-valued one
        ({"relatedOffers": [{"offer_name": 5}]}, "String"),  # a multi-valued one's record
        ({"relatedOffers": [[{"offer_name": "a"}]]}, "relatedOffers"),  # a list of lists
        ({"relatedOffers": ["a"]}, "relatedOffers"),
        ({"Nope": {"x": 1}}, "Nope"),  # no such extension
        ({"Feedback": "x"}, "Feedback"),
    ],
)
async def test_a_wrong_extension_value_is_a_validation_error(
    app: Starlette, client: httpx.AsyncClient, extensions: dict[str, Any], fragment: str
) -> None:
    await new_schema(client, "services", [FEEDBACK, OFFERS])
    before = await snapshot(app)
    _not_run(await gql(client, START, s=extensions), fragment)
    assert await snapshot(app) == before


async def test_typed_values_round_trip(client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", [TYPED, OFFERS])
    values = {
        "label": "éü ☃ x",
        "count": -(2**31),
        "big": 2**62 + 1,
        "flag": False,
        "day": "2024-02-29",
        "at": "2024-02-29T23:59:59.5+02:00",
        "price": 12.25,
        "ratio": 1e-300,
        "car_type": "coupé",
    }
    started = await gql(
        client,
        """mutation($s: ServiceExtensionsInput) { startService(input: {contactKey: "k", serviceType: 1, extensions: $s}) {
          id: serviceId extensions { Typed { label count big flag day at price ratio car_type } relatedOffers { offer_name type } } } }""",
        s={"Typed": values, "relatedOffers": {"offer_name": "single"}},  # one record coerces to a list of one
    )
    assert "errors" not in started, started
    service = started["data"]["startService"]
    stored = values | {"at": "2024-02-29T21:59:59.500Z"}
    assert service["extensions"] == {"Typed": stored, "relatedOffers": [{"offer_name": "single", "type": 0}]}
    rest = (await client.get(f"/services/{service['id']}?extensions=Typed")).json()["Typed"]
    assert rest["car type"] == "coupé"
    assert rest["big"] == 2**62 + 1


async def test_every_mutation_that_takes_extension_values_types_them(app: Starlette, client: httpx.AsyncClient) -> None:
    await new_schema(client, "services", FEEDBACK)
    await new_schema(client, "states", FEEDBACK)
    await new_schema(client, "tasks", PROPOSAL)
    ref = "name kind ofType { name kind ofType { name } }"
    body = await gql(client, f"{{ __schema {{ types {{ name inputFields {{ name type {{ {ref} }} }} }} }} }}")
    by_type = {t["name"]: t for t in body["data"]["__schema"]["types"] if t["inputFields"]}

    def extensions_type(name: str) -> str:
        (field,) = [f for f in by_type[name]["inputFields"] if f["name"] == "extensions"]
        return str(field["type"]["name"])

    expected = {
        "ServiceStartInput": "ServiceExtensionsInput",
        "ServiceUpdateInput": "ServiceExtensionsInput",
        "ServiceEndInput": "ServiceExtensionsInput",
        "StateStartInput": "StateExtensionsInput",
        "StateEndInput": "StateExtensionsInput",
        "TransitionFromInput": "StateExtensionsInput",
        "TransitionToInput": "StateExtensionsInput",
        "TaskStartInput": "TaskExtensionsInput",
        "TaskEndInput": "TaskExtensionsInput",
    }
    assert {name: extensions_type(name) for name in expected} == expected
    assert "JSON" not in {
        f["type"]["name"] for t in by_type.values() for f in t["inputFields"] if "Extension" in t["name"]
    }
    proposal = {f["name"]: f["type"] for f in by_type["TaskProposalRecordInput"]["inputFields"]}
    assert proposal["car_type"] == {"name": "String", "kind": "SCALAR", "ofType": None}  # mandatory: the domain says
    assert proposal["delivery"]["name"] == "String"
    assert proposal["seats"]["name"] == "Int"
    tasks = {f["name"]: f["type"] for f in by_type["TaskExtensionsInput"]["inputFields"]}
    assert tasks["Proposal"]["kind"] == "LIST"

    service_id = await new_service(client)
    composite = await gql(
        client,
        """mutation($c: [CompositeStartInput!]!) { compositeStart(services: $c) { serviceId stateId taskId } }""",
        c=[
            {
                "service": {
                    "contactKey": "c",
                    "serviceType": 9,
                    "extensions": {"Feedback": {"FeedbackType": "s", "rating": 1}},
                },
                "state": {"stateType": 1, "extensions": {"Feedback": {"FeedbackType": "t", "rating": 2}}},
                "task": {"taskType": 1, "extensions": {"Proposal": [{"car_type": "van", "price": 3}]}},
            }
        ],
    )
    assert "errors" not in composite, composite
    ids = composite["data"]["compositeStart"][0]
    state = (await client.get(f"/services/{ids['serviceId']}/states/{ids['stateId']}?extensions=Feedback")).json()
    assert state["Feedback"] == {"FeedbackType": "t", "rating": 2}
    task = (await client.get(f"/services/{ids['serviceId']}/tasks/{ids['taskId']}?extensions=Proposal")).json()
    assert task["Proposal"] == [{"car type": "van", "price": 3}]

    ended = await gql(
        client,
        """mutation($s: Long!) { completeService(serviceId: $s, input: {extensions: {Feedback: {FeedbackType: "e", rating: 3}}}) {
          extensions { Feedback { rating } } } }""",
        s=service_id,
    )
    assert ended["data"]["completeService"]["extensions"]["Feedback"]["rating"] == 3


async def test_extension_record_mutations_take_typed_records(app: Starlette, client: httpx.AsyncClient) -> None:
    await new_schema(client, "tasks", PROPOSAL)
    await new_schema(client, "services", FEEDBACK)
    service_id = await new_service(client)
    task_id = await new_task(client, service_id, Proposal=[{"car type": "a", "price": 1}])
    owner = {"kind": "TASK", "serviceId": service_id, "taskId": task_id}
    replace = "mutation($o: OwnerInput!, $v: ExtensionValueInput!) { replaceExtension(owner: $o, value: $v) }"
    update = (
        "mutation($o: OwnerInput!, $r: ExtensionRecordValueInput!) { updateExtensionRecord(owner: $o, record: $r) }"
    )
    delete = (
        "mutation($o: OwnerInput!, $r: ExtensionRecordValueInput!) { deleteExtensionRecord(owner: $o, unique: $r) }"
    )
    cars = [{"car_type": "b", "price": 2}, {"car_type": "c", "price": 3}]
    assert (await gql(client, replace, o=owner, v={"task": {"Proposal": cars}}))["data"] == {"replaceExtension": True}
    changed = await gql(client, update, o=owner, r={"task": {"Proposal": {"car_type": "b", "price": 20}}})
    assert changed["data"] == {"updateExtensionRecord": True}
    assert (await gql(client, delete, o=owner, r={"task": {"Proposal": {"car_type": "c"}}}))["data"]
    read = (await client.get(f"/services/{service_id}/tasks/{task_id}?extensions=Proposal")).json()
    assert read["Proposal"] == [{"car type": "b", "price": 20}]

    before = await snapshot(app)
    _not_run(await gql(client, update, o=owner, r={"task": {"Proposal": {"car_type": 1}}}), "String")
    _not_run(await gql(client, update, o=owner, r={"task": {"Proposal": [{"car_type": "b"}]}}), "Proposal")
    feedback = {"Feedback": {"FeedbackType": "x", "rating": 1}}
    _not_run(await gql(client, replace, o=owner, v={"task": {"Proposal": cars}, "service": feedback}), "exactly one")
    none = await gql(client, replace, o=owner, v={"task": {}})  # one kind, but no extension in it
    assert none["errors"][0]["extensions"]["status"] == 400
    assert "exactly one" in none["errors"][0]["message"]
    wrong_kind = await gql(client, replace, o=owner | {"kind": "SERVICE"}, v={"task": {"Proposal": cars}})
    assert wrong_kind["errors"][0]["extensions"]["status"] == 400, wrong_kind
    assert "task extension given for a service" in wrong_kind["errors"][0]["message"]
    assert await snapshot(app) == before


async def test_profiles_take_typed_extensions(app: Starlette, client: httpx.AsyncClient) -> None:
    await gql(client, 'mutation { setServerMode(mode: "maintenance") }')
    vip = {"name": "VIP", "type": "classifier"}
    await new_schema(client, "profiles", [vip, FEEDBACK | {"name": "Survey"}])
    await gql(client, 'mutation { setServerMode(mode: "production") }')
    created = await gql(
        client,
        """mutation { createProfile(attributes: {FirstName: "Ada"},
          extensions: {VIP: true, Survey: {FeedbackType: "web", rating: 9}}) {
          id: customerId extensions { VIP Survey { rating } } } }""",
    )
    assert "errors" not in created, created
    customer = created["data"]["createProfile"]
    assert customer["extensions"] == {"VIP": True, "Survey": {"rating": 9}}
    updated = await gql(
        client,
        """mutation($c: ID!) { updateProfile(customerId: $c, attributes: {FirstName: "Ann"},
          extensions: {Survey: {FeedbackType: "app", rating: 1}}) { extensions { Survey { rating } } } }""",
        c=customer["id"],
    )
    assert updated["data"]["updateProfile"]["extensions"]["Survey"] == {"rating": 1}

    before = await snapshot(app)
    _not_run(
        await gql(client, 'mutation { createProfile(attributes: {}, extensions: {VIP: "yes"}) { id } }'), "Boolean"
    )
    untyped = await gql(client, 'mutation { createProfile(attributes: {FirstName: "B", VIP: {}}) { id } }')
    assert untyped["errors"][0]["extensions"]["status"] == 400
    assert "extensions" in untyped["errors"][0]["message"]
    assert await snapshot(app) == before


async def test_inputs_follow_schema_changes(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    mutation = """mutation($c: ID!) { startService(input: {customerId: $c, serviceType: 1,
        extensions: {Feedback: {FeedbackType: "x", rating: 2}}}) { extensions { Feedback { rating } } } }"""
    fields = '{ __type(name: "ServiceStartInput") { inputFields { name } } }'
    names = {f["name"] for f in (await gql(client, fields))["data"]["__type"]["inputFields"]}
    assert "extensions" not in names  # no service extension schema yet: no extensions to give
    _not_run(await gql(client, mutation, c=customer_id), "extensions")
    rec = await gql(client, '{ __type(name: "Mutation") { fields { name args { name } } } }')
    mutations = {f["name"]: {a["name"] for a in f["args"]} for f in rec["data"]["__type"]["fields"]}
    assert "replaceExtension" not in mutations
    assert "extensions" not in mutations["createProfile"]

    await new_schema(client, "services", FEEDBACK)
    done = await gql(client, mutation, c=customer_id)  # the same text, validated against the new schema
    assert done["data"]["startService"]["extensions"]["Feedback"] == {"rating": 2}

    changed = FEEDBACK | {"attributes": [{"name": "rating", "type": "boolean"}]}
    assert (await client.delete("/metadata/services/extensions/Feedback")).status_code == 204
    await new_schema(client, "services", changed)
    _not_run(await gql(client, mutation, c=customer_id), "Boolean")
    flipped = mutation.replace('FeedbackType: "x", rating: 2', "rating: true")
    assert (await gql(client, flipped, c=customer_id))["data"]["startService"]["extensions"]["Feedback"] == {
        "rating": True
    }


async def test_mangled_names_map_back_to_the_attributes_they_stand_for(client: httpx.AsyncClient) -> None:
    clash = {
        "name": "Car",
        "type": "single-valued",
        "attributes": [{"name": "car type", "type": "string"}, {"name": "car_type", "type": "integer"}],
    }
    await new_schema(client, "services", clash)
    started = await gql(
        client,
        'mutation { startService(input: {contactKey: "k", serviceType: 1, extensions: {Car: {car_type: "van", car_type_2: 4}}}) { id: serviceId } }',
    )
    assert "errors" not in started, started
    rest = (await client.get(f"/services/{started['data']['startService']['id']}?extensions=Car")).json()
    assert rest["Car"] == {"car type": "van", "car_type": 4}


async def test_a_classifier_is_set_by_true_only(app: Starlette, client: httpx.AsyncClient) -> None:
    await gql(client, 'mutation { setServerMode(mode: "maintenance") }')
    await new_schema(client, "profiles", {"name": "VIP", "type": "classifier"})
    await gql(client, 'mutation { setServerMode(mode: "production") }')
    before = await snapshot(app)
    refused = await gql(client, "mutation { createProfile(attributes: {}, extensions: {VIP: false}) { id } }")
    assert refused["errors"][0]["extensions"]["status"] == 400, refused
    assert "set with true" in refused["errors"][0]["message"]
    assert await snapshot(app) == before
