"""Reserved words ("Unauthorized Strings", spec/004) in Unicode disguise (issue 15, item 14): a value
or a name is compared as a reader sees it (NFKC, case-folded, invisible characters removed), so
`select` with a long s, in full-width letters or with a zero-width space are refused like `select`, over
REST and GraphQL, on both databases, and write nothing."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import snapshot
from tests.helpers import FEEDBACK, assert_error, new_schema

DISGUISES = [
    "\u017felect",  # a long s
    "\uff33\uff25\uff2c\uff25\uff23\uff34",  # full-width SELECT
    "select\u200b",  # a zero-width space
    "\ufeffSelect",  # a byte-order mark
    "sel\u00adect",  # a soft hyphen
    "Sel\u200dect\u2060",  # a zero-width joiner and a word joiner
    "\uff2e\uff35\uff2c\uff2c",  # full-width NULL
]


@pytest.mark.parametrize("word", DISGUISES)
async def test_disguised_reserved_values_are_refused(app: Starlette, client: httpx.AsyncClient, word: str) -> None:
    await new_schema(client, "services", FEEDBACK)
    before = await snapshot(app)
    profile = await client.post("/profiles", json={"FirstName": word})
    assert_error(profile, 400, method="POST", fragment="keyword is not authorized")
    many = await client.post("/profiles", json={"EmailAddress": ["a@b.c", word]})
    assert_error(many, 400, method="POST", fragment="keyword is not authorized")
    extension = {"service_type": 1, "contact_key": "k", "Feedback": {"FeedbackType": word, "rating": 7}}
    started = await client.post("/services/start", json=extension)
    assert_error(started, 400, method="POST", fragment="keyword is not authorized")
    mutation = "mutation($a: JSON!) { createProfile(attributes: $a) { id } }"
    answer = (await client.post("/graphql", json={"query": mutation, "variables": {"a": {"LastName": word}}})).json()
    assert answer["errors"][0]["extensions"]["status"] == 400, answer
    assert "keyword is not authorized" in answer["errors"][0]["message"]
    assert await snapshot(app) == before


@pytest.mark.parametrize("word", DISGUISES)
async def test_disguised_reserved_names_are_refused(app: Starlette, client: httpx.AsyncClient, word: str) -> None:
    before = await snapshot(app)
    schema = {"name": word, "type": "single-valued", "attributes": [{"name": "a", "type": "string"}]}
    assert_error(await client.post("/metadata/services/extensions", json=schema), 400, method="POST", fragment="name")
    attribute = {"name": "Fine", "type": "single-valued", "attributes": [{"name": word, "type": "string"}]}
    refused = await client.post("/metadata/services/extensions", json=attribute)
    assert_error(refused, 400, method="POST", fragment="name")
    key = {"name": word, "attributes": ["LastName"]}
    assert_error(await client.post("/metadata/identification-keys", json=key), 400, method="POST", fragment="name")
    assert await snapshot(app) == before


async def test_values_that_only_hold_invisible_characters_or_words_are_kept(client: httpx.AsyncClient) -> None:
    """Only a whole value that reads as a reserved word is refused: a family emoji (joined by
    zero-width joiners) and a word inside a value are fine."""
    for value in ("\U0001f468\u200d\U0001f469\u200d\U0001f467", "Select Comfort", "sélect", "\u017fome"):
        response = await client.post("/profiles", json={"LastName": value})
        assert response.status_code == 201, (value, response.text)
        customer = response.json()["customer_id"]
        assert (await client.get(f"/profiles/{customer}")).json()["LastName"] == value
