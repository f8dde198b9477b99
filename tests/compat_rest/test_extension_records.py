"""Extension records: values in every body, validated; inline reads; replace and by/unique operations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import (
    FEEDBACK,
    OFFERS,
    PROPOSAL,
    assert_error,
    new_customer,
    new_schema,
    new_service,
    new_state,
    new_task,
)

OFFER_RECORDS = [
    {"offer_name": "VIP credit card black ed.", "type": 9, "comments": "proposed to all client"},
    {"offer_name": "3 times payment GOLD", "type": 4, "comments": "limited offer"},
]
CAR = {"car type": "cabriolet", "price": 25000, "seats": 2}


@pytest.fixture
async def schemas(client: httpx.AsyncClient) -> None:
    for word in ("services", "states", "tasks"):
        await new_schema(client, word, [FEEDBACK, OFFERS, PROPOSAL])


@pytest.mark.usefixtures("schemas")
async def test_start_service_with_extensions_and_read_them_inline(client: httpx.AsyncClient) -> None:
    feedback = {"FeedbackType": "survey", "rating": 7, "notes": "warm welcome"}
    service_id = await new_service(client, Feedback=feedback, relatedOffers=OFFER_RECORDS)
    plain = (await client.get(f"/services/{service_id}")).json()
    assert "Feedback" not in plain  # nothing by default
    assert "relatedOffers" not in plain
    full = (await client.get(f"/services/{service_id}?extensions=Feedback,relatedoffers")).json()
    assert full["Feedback"] == feedback
    assert full["relatedOffers"] == OFFER_RECORDS
    only = (await client.get("/services/anonymous/408-832-7799?extensions=relatedOffers")).json()[0]
    assert "Feedback" not in only
    assert only["relatedOffers"] == OFFER_RECORDS


@pytest.mark.usefixtures("schemas")
async def test_defaults_are_applied_and_values_normalised(client: httpx.AsyncClient) -> None:
    car = CAR | {"delivery": "2024-05-01T10:00:00Z", "offered_at": "2024-05-01T12:00:00+02:00", "discount": 12.5}
    service_id = await new_service(client, relatedOffers=[{"offer_name": "x"}], Proposal=[car])
    body = (await client.get(f"/services/{service_id}?extensions=relatedOffers,Proposal")).json()
    assert body["relatedOffers"] == [{"offer_name": "x", "type": 0}]
    assert body["Proposal"][0]["delivery"] == "2024-05-01"
    assert body["Proposal"][0]["offered_at"] == "2024-05-01T10:00:00.000Z"


@pytest.mark.usefixtures("schemas")
@pytest.mark.parametrize(
    ("extensions", "fragment"),
    [
        ({"Feedback": {"FeedbackType": "survey", "rating": "7"}}, "Feedback.rating"),
        ({"Feedback": {"FeedbackType": "survey"}}, "Feedback.rating"),
        ({"Feedback": {"FeedbackType": "survey-and-more", "rating": 7}}, "Feedback.FeedbackType"),
        ({"Feedback": {"FeedbackType": "survey", "rating": 7, "mood": "ok"}}, "Feedback.mood"),
        ({"Feedback": [{"FeedbackType": "survey", "rating": 7}]}, "single-valued"),
        ({"Feedback": {"FeedbackType": "select", "rating": 7}}, "keyword is not authorized"),
        ({"Feedback": {"FeedbackType": "survey", "rating": 2**40}}, "Feedback.rating"),
        ({"relatedOffers": {"offer_name": "x"}}, "multi-valued"),
        ({"relatedOffers": [{"offer_name": "x"}, {"offer_name": "x"}]}, "relatedOffers.offer_name"),
        ({"Proposal": [CAR | {"available": "yes"}]}, "Proposal.available"),
        ({"Proposal": [CAR | {"delivery": "tomorrow"}]}, "Proposal.delivery"),
        ({"Proposal": [CAR | {"discount": "12.50"}]}, "Proposal.discount"),
        ({"Coupons": {"code": "X"}}, "Coupons"),
    ],
)
async def test_invalid_records_are_400_and_write_nothing(
    app: Starlette, client: httpx.AsyncClient, extensions: dict[str, Any], fragment: str
) -> None:
    service_id = await new_service(client)
    state_id = await new_state(client, service_id)
    before = await snapshot(app)
    requests = [
        client.post("/services/start", json={"service_type": 1, "contact_key": "k"} | extensions),
        client.post(f"/services/{service_id}/end", json=extensions),
        client.post(f"/services/{service_id}/states/start", json={"state_type": 1} | extensions),
        client.post(f"/services/{service_id}/states/{state_id}/end", json=extensions),
        client.post(f"/services/{service_id}/tasks/start", json={"task_type": 1} | extensions),
        client.post(
            f"/services/{service_id}/states/transition",
            json={"from": {"state_id": state_id} | extensions, "to": {"state_type": 2}},
        ),
    ]
    for request in requests:
        assert_error(await request, 400, method="POST", fragment=fragment)
    name, value = next(iter(extensions.items()))
    assert_error(
        await client.put(f"/services/{service_id}/extensions/{name}", json=value),
        404 if name == "Coupons" else 400,
        method="PUT",
    )
    assert await snapshot(app) == before


@pytest.mark.usefixtures("schemas")
async def test_associate_and_complete_replace_the_former_records(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    service_id = await new_service(client, relatedOffers=OFFER_RECORDS)
    await client.post(f"/customers/{customer_id}/services/{service_id}", json={"relatedOffers": [{"offer_name": "a"}]})
    body = (await client.get(f"/services/{service_id}?extensions=relatedOffers")).json()
    assert [o["offer_name"] for o in body["relatedOffers"]] == ["a"]
    await client.post(f"/services/{service_id}/end", json={"Feedback": {"FeedbackType": "call", "rating": 3}})
    body = (await client.get(f"/customers/{customer_id}/services?extensions=Feedback,relatedOffers")).json()[0]
    assert body["Feedback"]["rating"] == 3
    assert [o["offer_name"] for o in body["relatedOffers"]] == ["a"]


@pytest.mark.usefixtures("schemas")
async def test_replace_update_and_delete_by_unique_on_a_service(client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, relatedOffers=OFFER_RECORDS)
    base = f"/genesys/1/cs/services/{service_id}/extensions/relatedOffers"
    offers = [{"offer_name": "life insurance", "type": 3, "comments": "check first"}, *OFFER_RECORDS]
    assert (await client.put(base, json=offers)).status_code == 200

    response = await client.put(f"{base}/by/unique", json={"offer_name": "3 times payment GOLD", "comments": "gone"})
    assert response.status_code == 204
    records = (await client.get(f"/services/{service_id}?extensions=relatedOffers")).json()["relatedOffers"]
    assert records[2] == {"offer_name": "3 times payment GOLD", "type": 4, "comments": "gone"}
    assert records[0]["comments"] == "check first"

    assert (await client.put(f"{base}/delete/by/unique", json={"offer_name": "life insurance"})).status_code == 204
    records = (await client.get(f"/services/{service_id}?extensions=relatedOffers")).json()["relatedOffers"]
    assert [r["offer_name"] for r in records] == ["VIP credit card black ed.", "3 times payment GOLD"]


@pytest.mark.usefixtures("schemas")
async def test_by_unique_errors_write_nothing(app: Starlette, client: httpx.AsyncClient) -> None:
    service_id = await new_service(client, relatedOffers=OFFER_RECORDS, Feedback={"FeedbackType": "a", "rating": 1})
    base = f"/services/{service_id}/extensions"
    before = await snapshot(app)
    assert_error(
        await client.put(f"{base}/relatedOffers/by/unique", json={"offer_name": "nope", "type": 1}),
        404,
        method="PUT",
        fragment="record",
    )
    assert_error(
        await client.put(f"{base}/relatedOffers/delete/by/unique", json={"offer_name": "nope"}), 404, method="PUT"
    )
    assert_error(
        await client.put(f"{base}/relatedOffers/by/unique", json={"type": 1}), 400, method="PUT", fragment="offer_name"
    )
    assert_error(
        await client.put(
            f"{base}/relatedOffers/by/unique", json={"offer_name": "3 times payment GOLD", "type": "four"}
        ),
        400,
        method="PUT",
    )
    assert_error(
        await client.put(f"{base}/Feedback/by/unique", json={"rating": 2}), 400, method="PUT", fragment="no unique"
    )
    assert_error(await client.put(f"{base}/Nothing/by/unique", json={"a": 1}), 404, method="PUT")
    assert_error(await client.put("/services/99999/extensions/relatedOffers", json=[]), 404, method="PUT")
    assert await snapshot(app) == before


@pytest.mark.usefixtures("schemas")
@pytest.mark.parametrize("word", ["states", "state"])
async def test_state_extensions_everywhere(client: httpx.AsyncClient, word: str) -> None:
    service_id = await new_service(client)
    first = await new_state(client, service_id, Proposal=[CAR])
    feedback = {"FeedbackType": "survey", "rating": 7}
    body = {"from": {"state_id": first, "Feedback": feedback}, "to": {"state_type": 8, "Proposal": [CAR]}}
    second = (await client.post(f"/services/{service_id}/states/transition", json=body)).json()["state_id"]
    states = (await client.get(f"/services/{service_id}/{word}?extensions=Feedback,Proposal")).json()
    assert states[0]["Feedback"] == feedback
    assert states[1]["state_id"] == second
    assert states[1]["Proposal"] == [CAR]
    assert "Feedback" not in states[1]

    base = f"/services/{service_id}/{word}/{second}/extensions/Proposal"
    assert (await client.put(f"{base}/by/unique", json={"car type": "cabriolet", "price": 1})).status_code == 204
    one = (await client.get(f"/services/{service_id}/states/{second}?extensions=Proposal")).json()
    assert one["Proposal"][0]["price"] == 1
    assert (await client.put(f"{base}/delete/by/unique", json={"car type": "cabriolet"})).status_code == 204
    assert (await client.get(f"/services/{service_id}/states/{second}?extensions=Proposal")).json()["Proposal"] == []


@pytest.mark.usefixtures("schemas")
@pytest.mark.parametrize("word", ["tasks", "task"])
async def test_task_extensions_everywhere(client: httpx.AsyncClient, word: str) -> None:
    service_id = await new_service(client)
    task_id = await new_task(client, service_id, Proposal=[CAR, CAR | {"car type": "S.U.V.", "price": 70000}])
    await client.post(
        f"/services/{service_id}/{word}/{task_id}/end", json={"Feedback": {"FeedbackType": "a", "rating": 1}}
    )
    task = (await client.get(f"/services/{service_id}/{word}/{task_id}?extensions=Proposal")).json()
    assert [p["car type"] for p in task["Proposal"]] == ["cabriolet", "S.U.V."]
    listed = (await client.get(f"/services/{service_id}/tasks/completed?extensions=Feedback")).json()
    assert listed[0]["Feedback"] == {"FeedbackType": "a", "rating": 1}
    response = await client.put(
        f"/services/{service_id}/{word}/{task_id}/extensions/Feedback", json={"FeedbackType": "b", "rating": 2}
    )
    assert response.status_code == 200
    task = (await client.get(f"/services/{service_id}/tasks/{task_id}?extensions=Feedback")).json()
    assert task["Feedback"]["FeedbackType"] == "b"


@pytest.mark.usefixtures("schemas")
async def test_composite_start_writes_extensions(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    item = {
        "service": {"customer_id": customer_id, "service_type": 1, "relatedOffers": OFFER_RECORDS},
        "state": {"state_type": 2, "Feedback": {"FeedbackType": "survey", "rating": 7}},
        "task": {"task_type": 3, "Proposal": [CAR]},
    }
    result = (await client.post("/services_composite/start", json={"services": [item]})).json()["services"][0]
    sid, state_id, task_id = (result[k][f"{k}_id"] for k in ("service", "state", "task"))
    assert len((await client.get(f"/services/{sid}?extensions=relatedOffers")).json()["relatedOffers"]) == 2
    assert (await client.get(f"/services/{sid}/states/{state_id}?extensions=Feedback")).json()["Feedback"][
        "rating"
    ] == 7
    assert (await client.get(f"/services/{sid}/tasks/{task_id}?extensions=Proposal")).json()["Proposal"] == [CAR]


async def test_profile_extensions(client: httpx.AsyncClient) -> None:
    phone = {
        "name": "Phone",
        "type": "multi-valued",
        "unique": ["PhoneNumber"],
        "attributes": [
            {"name": "PhoneType", "type": "integer"},
            {"name": "prefix", "type": "string"},
            {"name": "PhoneNumber", "type": "string", "mandatory": True},
            {"name": "start_availability", "type": "datetime"},
        ],
    }
    await client.post("/server/mode", json={"mode": "maintenance"})
    await new_schema(client, "profiles", [phone, {"name": "VIP", "type": "classifier"}])
    await client.post("/server/mode", json={"mode": "production"})

    numbers = [
        {
            "PhoneType": 0,
            "prefix": "+33",
            "PhoneNumber": "3145926535",
            "start_availability": "2009-12-18T18:30:00.000Z",
        },
        {"PhoneType": 2, "PhoneNumber": "6543210"},
    ]
    customer_id = await new_customer(client, FirstName="Bruce", Phone=numbers, VIP={})
    profile = (await client.get(f"/profiles/{customer_id}?extensions=Phone,VIP")).json()
    assert profile == {"customer_id": customer_id, "FirstName": "Bruce", "Phone": numbers, "VIP": {}}

    response = await client.post(
        f"/profiles/{customer_id}/extensions",
        json={"customer_id": customer_id, "Phone": [{"PhoneNumber": "951357456"}]},
    )
    assert response.status_code == 200
    base = f"/profiles/{customer_id}/extensions/Phone"
    assert (await client.put(f"{base}/by/unique", json={"PhoneNumber": "951357456", "prefix": "+1"})).status_code == 204
    assert (await client.get(f"/profiles/{customer_id}?extensions=Phone")).json()["Phone"] == [
        {"prefix": "+1", "PhoneNumber": "951357456"}
    ]
    assert (await client.put(f"{base}/delete/by/unique", json={"PhoneNumber": "951357456"})).status_code == 204
    assert (await client.get(f"/profiles/{customer_id}?extensions=Phone")).json()["Phone"] == []
    assert_error(
        await client.post(f"/profiles/{customer_id}/extensions", json={"customer_id": "other"}),
        400,
        method="POST",
        fragment="customer_id",
    )
    assert_error(await client.post("/profiles/0000000000000000/extensions", json={}), 404, method="POST")
