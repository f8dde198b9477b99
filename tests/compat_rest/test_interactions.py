"""Interactions: recorded, validated, read per customer, per service, by id, with content URLs."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import assert_error, new_customer, new_service, new_state, new_task
from tests.schema.test_graphql import gql


def chat(customer_id: str, interaction_id: str = "00001a57JGQ00BW8", **extra: Any) -> dict[str, Any]:
    return {
        "interaction_id": interaction_id,
        "customer_id": customer_id,
        "entity_type": 2,
        "media_type": "chat",
        "type": "Inbound",
        "sub_type": "InboundNew",
        "status": 3,
        "creator_app_id": 175,
        "start_date": "2009-08-05T09:33:10.000Z",
        "end_date": "2009-08-05T09:34:04.140Z",
        "established_date": "2009-08-05T09:33:15Z",
        "subject": "SMS chat",
        "allow_children": True,
        "udata": {"ChatServerHost": "SUITE80", "RStrategyDBID": "480"},
    } | extra


async def test_record_and_read_a_chat_with_its_contents(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    body = chat(
        customer_id,
        text="Hello, I need help",
        structured_text="<msg>Hello</msg>",
        structured_text_mime="text/xml",
        binary_content=base64.b64encode(b"\x00\x01PNG").decode(),
        binary_content_mime="image/png",
        binary_content_size=5,
    )
    response = await client.post("/interactions", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/interactions/00001a57JGQ00BW8"

    one = (await client.get("/genesys/1/cs/interactions/00001a57JGQ00BW8")).json()
    base = "http://testserver/genesys/1/cs/interactions/00001a57JGQ00BW8"
    assert one["text"] == f"{base}/plain_text"
    assert one["structured_text"] == f"{base}/structured_text"
    assert one["binary_content"] == f"{base}/binary_content"
    assert one["established_date"] == "2009-08-05T09:33:15.000Z"
    assert one["udata"] == {"ChatServerHost": "SUITE80", "RStrategyDBID": "480"}
    assert one["structured_text_mime"] == "text/xml"

    plain = await client.get("/interactions/00001a57JGQ00BW8/plain_text")
    assert plain.text == "Hello, I need help"
    assert plain.headers["content-type"].startswith("text/plain")
    structured = await client.get("/interactions/00001a57JGQ00BW8/structured_text")
    assert structured.text == "<msg>Hello</msg>"
    assert structured.headers["content-type"].startswith("text/xml")
    binary = await client.get("/interactions/00001a57JGQ00BW8/binary_content")
    assert binary.content == b"\x00\x01PNG"
    assert binary.headers["content-type"] == "image/png"
    assert binary.headers["content-length"] == "5"


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"status": 9}, 400, "status"),
        ({"entity_type": 4}, 400, "entity_type"),
        ({"creator_app_id": None}, 400, "creator_app_id"),
        ({"start_date": "noon"}, 400, "start_date"),
        ({"structured_text": "<x/>"}, 400, "structured_text_mime"),
        ({"binary_content": "AAAA", "binary_content_mime": "image/png"}, 400, "binary_content_size"),
        ({"binary_content": "AAAA", "binary_content_mime": "image/png", "binary_content_size": 9}, 400, "3 bytes"),
        ({"binary_content": "***", "binary_content_mime": "x/y", "binary_content_size": 1}, 400, "base64"),
        ({"structured_text": "<x/>", "structured_text_mime": "text/html\r\nX-Injected: 1"}, 400, "media type"),
        (
            {"binary_content": "AAAA", "binary_content_mime": "image/svg+xml\n", "binary_content_size": 3},
            400,
            "media type",
        ),
        ({"structured_text": "<x/>", "structured_text_mime": 'text/html; charset="\u20ac"'}, 400, "media type"),
        ({"structured_text": "<x/>", "structured_text_mime": 'text/html; a="\x85"'}, 400, "media type"),
        ({"structured_text": "<x/>", "structured_text_mime": 'text/html; a="\r\n"'}, 400, "media type"),
        ({"structured_text": "<x/>", "structured_text_mime": "text/html\u2028"}, 400, "media type"),
        ({"interaction_id": "a\r\nLocation: /evil"}, 400, "interaction_id"),
        ({"interaction_id": "a\u2028b"}, 400, "interaction_id"),
        ({"interaction_id": "a\u200bb"}, 400, "interaction_id"),
        ({"interaction_id": "\x7f"}, 400, "interaction_id"),
        ({"phone_number": "555"}, 400, "phone_number"),
        ({"udata": {"a": {"nested": 1}}}, 400, "udata"),
        ({"customer_id": "0000000000000000"}, 404, "customer"),
        ({"service_id": 987654}, 404, "service"),
    ],
)
async def test_invalid_interactions_write_nothing(
    app: Starlette, client: httpx.AsyncClient, change: dict[str, Any], status: int, fragment: str
) -> None:
    customer_id = await new_customer(client)
    before = await snapshot(app)
    response = await client.post("/interactions", json=chat(customer_id) | change)
    assert_error(response, status, method="POST", fragment=fragment)
    assert await snapshot(app) == before


async def test_callback_rules_and_duplicates(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    callback = chat(customer_id, "cb-1", entity_type=5, media_type="callback")
    del callback["established_date"]
    assert_error(
        await client.post("/interactions", json=callback), 400, method="POST", fragment="desired_response_type"
    )
    callback |= {
        "desired_response_type": "Voice",
        "start_time": "2024-01-01T10:00:00Z",
        "customer_number": "+33 1",
        "attempts": 0,
        "callback_status": 2,
        "call_result": 53,
        "callback_type": 2,
    }
    assert (await client.post("/interactions", json=callback)).status_code == 201
    assert_error(await client.post("/interactions", json=callback), 409, method="POST", fragment="already")
    assert_error(
        await client.post("/interactions", json=callback | {"interaction_id": "cb-2", "desired_response_type": "Fax"}),
        400,
        method="POST",
    )


async def test_interactions_of_a_customer_and_of_a_service(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    other = await new_customer(client)
    service_id = await new_service(client, customer_id=customer_id, interaction_id="svc-call")
    state_id = await new_state(client, service_id, interaction_id="state-chat")
    await new_task(client, service_id, state_id=state_id, interaction_id=4242)
    await client.post(f"/services/{service_id}/end", json={"interaction_id": "end-mail"})
    email = {
        "entity_type": 0,
        "media_type": "email",
        "from": {"address": "a@x.org", "personal": "A"},
        "to": [{"address": "cc@corp.com"}],
    }
    for interaction_id, start, extra in [
        ("svc-call", "2024-01-01T10:00:00Z", {"entity_type": 3, "media_type": "voice"}),
        ("state-chat", "2024-01-01T10:01:00Z", {}),
        ("4242", "2024-01-01T10:02:00Z", {}),
        ("end-mail", "2024-01-01T10:03:00Z", email),
        ("recorded", "2024-01-01T10:04:00Z", {"service_id": service_id}),
        ("unrelated", "2024-01-01T09:00:00Z", {}),
    ]:
        body = chat(customer_id, interaction_id, start_date=start) | extra
        if body["entity_type"] != 2:
            del body["established_date"]
        assert (await client.post("/interactions", json=body)).status_code == 201, interaction_id
    await client.post("/interactions", json=chat(other, "theirs"))

    by_customer = [i["interaction_id"] for i in (await client.get(f"/customers/{customer_id}/interactions")).json()]
    assert by_customer == ["unrelated", "svc-call", "state-chat", "4242", "end-mail", "recorded"]
    by_service = [i["interaction_id"] for i in (await client.get(f"/services/{service_id}/interactions")).json()]
    assert by_service == ["svc-call", "state-chat", "4242", "end-mail", "recorded"]
    assert_error(await client.get("/services/999999/interactions"), 404, method="GET")
    assert_error(await client.get("/customers/nobody/interactions"), 404, method="GET")
    assert_error(await client.get("/interactions/nope"), 404, method="GET")
    assert_error(await client.get("/interactions/svc-call/plain_text"), 404, method="GET", fragment="text")

    tree = await gql(
        client,
        """query($c: ID!) { customer(id: $c) { interactions { id: interactionId }
        services { interactions { id: interactionId entityType mediaType service { id: serviceId } customer { id: customerId } } } } }""",
        c=customer_id,
    )
    customer = tree["data"]["customer"]
    assert [i["id"] for i in customer["interactions"]] == by_customer
    service_interactions = customer["services"][0]["interactions"]
    assert [i["id"] for i in service_interactions] == by_service
    assert service_interactions[-1]["service"] == {"id": service_id}
    assert service_interactions[0]["customer"] == {"id": customer_id}


async def test_record_interaction_mutation(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    body = await gql(
        client,
        "mutation($i: JSON!) { recordInteraction(interaction: $i) { id: interactionId textUrl fields } }",
        i=chat(customer_id, "gql-1", text="hi"),
    )
    recorded = body["data"]["recordInteraction"]
    assert recorded["textUrl"] == "/interactions/gql-1/plain_text"
    assert recorded["fields"]["udata"]["ChatServerHost"] == "SUITE80"
    found = await gql(client, '{ interaction(id: "gql-1") { mediaType customer { id: customerId } } }')
    assert found["data"]["interaction"] == {"mediaType": "chat", "customer": {"id": customer_id}}


async def test_profile_merge_and_delete_take_interactions_along(app: Starlette, client: httpx.AsyncClient) -> None:
    dst, src = await new_customer(client), await new_customer(client)
    service_id = await new_service(client, customer_id=src, interaction_id="moved")
    await client.post(f"/services/{service_id}/end")
    await client.post("/interactions", json=chat(src, "moved"))
    body = {"keep_active_service_only": True}  # the completed service goes, its interaction stays
    assert (await client.put(f"/profiles/{dst}/merge/{src}", json=body)).status_code == 204
    assert [i["interaction_id"] for i in (await client.get(f"/customers/{dst}/interactions")).json()] == ["moved"]
    assert (await client.delete(f"/profiles/{dst}")).status_code == 200
    contents = await snapshot(app)
    assert contents["interaction"] == []
    assert contents["service_interaction"] == []


async def test_contents_are_never_pages_of_this_server(client: httpx.AsyncClient) -> None:
    """Stored script (HTML, SVG) is served as a sandboxed download, never as a page of this origin."""
    customer_id = await new_customer(client)
    script = "<script>fetch('/graphql', {method: 'POST'})</script>"
    svg = f'<svg xmlns="http://www.w3.org/2000/svg">{script}</svg>'
    body = chat(
        customer_id,
        "xss",
        text=script,
        structured_text=f"<html>{script}</html>",
        structured_text_mime="text/html",
        binary_content=base64.b64encode(svg.encode()).decode(),
        binary_content_mime="image/svg+xml",
        binary_content_size=len(svg),
    )
    assert (await client.post("/interactions", json=body)).status_code == 201
    for path, inline in (("plain_text", True), ("structured_text", False), ("binary_content", False)):
        response = await client.get(f"/interactions/xss/{path}")
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert ("content-disposition" not in response.headers) is inline, path
        if not inline:
            assert response.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize("stored", ["text/html\r\nSet-Cookie: a=b", 'text/html; charset="\u20ac"', "text/\u2028html"])
async def test_a_media_type_stored_before_it_was_checked_is_served_as_bytes(
    app: Starlette, client: httpx.AsyncClient, stored: str
) -> None:
    """An older row whose media type holds a line break is served as octet-stream, not a broken answer."""
    customer_id = await new_customer(client)
    body = chat(customer_id, "old", structured_text="<p>hi</p>", structured_text_mime="text/html")
    assert (await client.post("/interactions", json=body)).status_code == 201
    import sqlalchemy as sa

    from contextgraph.resolvers.store.tables import interaction_t

    async with app.state.runtime.db.write() as conn:
        fields = (await conn.execute(sa.select(interaction_t.c.fields).where(interaction_t.c.id == "old"))).scalar_one()
        fields = fields | {"structured_text_mime": stored}
        await conn.execute(sa.update(interaction_t).where(interaction_t.c.id == "old").values(fields=fields))
    response = await client.get("/interactions/old/structured_text")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "set-cookie" not in response.headers
    assert response.text == "<p>hi</p>"


@pytest.mark.parametrize("interaction_id", ["\u00fc\u20ac", "a b", "a?b#c", "x%2Fy"])
async def test_any_visible_interaction_id_gets_a_location_that_finds_it(
    client: httpx.AsyncClient, interaction_id: str
) -> None:
    """A header is ASCII: the id is percent-encoded in Location and in the content URLs (a `\u20ac`
    there was a 500)."""
    customer_id = await new_customer(client)
    body = chat(customer_id, interaction_id, structured_text="<p/>", structured_text_mime="text/html")
    response = await client.post("/interactions", json=body)
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.isascii()
    assert location.startswith("/interactions/")
    found = await client.get(location)
    assert found.status_code == 200, found.text
    assert found.json()["interaction_id"] == interaction_id
    content = await client.get(found.json()["structured_text"])
    assert (content.status_code, content.text) == (200, "<p/>")
