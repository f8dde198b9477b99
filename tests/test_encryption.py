"""Encryption at rest (README "Encryption at rest"): values of attributes marked `encrypt` round-trip
on both surfaces while the database files hold no plaintext of them; identification and unique
lookups work through the blind index; the key file is made on first need with mode 0600.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from alembic import command
from starlette.applications import Starlette

from contextgraph.app.main import create_app
from contextgraph.app.settings import load_settings
from contextgraph.resolvers.metadata.extension_schema import parse_schema
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import alembic_config
from contextgraph.resolvers.store.tables import extension_record_t, identity_index_t
from tests.helpers import new_customer, new_schema, new_service
from tests.servers import AUTH, KEY

CARD = "4111-1111-1111-1111"
NOTE = "allergic to cashews"
VIP = "vip-Ω-0042"
SECRETS = {
    "name": "Secrets",
    "type": "multi-valued",
    "unique": ["card"],
    "attributes": [
        {"name": "card", "type": "string", "encrypt": "true"},
        {"name": "note", "type": "string", "encrypt": True},
        {"name": "label", "type": "string"},
        {"name": "pin", "type": "integer", "encrypt": True},
    ],
}
HANDLING = {
    "name": "Handling",
    "type": "single-valued",
    "attributes": [{"name": "code", "type": "string", "encrypt": True}, {"name": "level", "type": "integer"}],
}
PLAINTEXTS = (CARD, NOTE, VIP)


async def _setup(client: httpx.AsyncClient) -> str:
    await client.post("/server/mode", json={"mode": "maintenance"})
    await new_schema(client, "profiles", SECRETS)
    key = {"name": "byCard", "source": "Secrets", "attributes": ["card"], "unique": True}
    assert (await client.post("/metadata/identification-keys", json=key)).status_code == 201
    await client.post("/server/mode", json={"mode": "production"})
    await new_schema(client, "services", HANDLING)
    return await new_customer(
        client, FirstName="Ada", Secrets=[{"card": CARD, "note": NOTE, "label": "main", "pin": 4242}]
    )


def _raw_database(database_url: str) -> bytes:
    """Every byte the database keeps: the SQLite file and its WAL, or a pg_dump."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    dump = Path(os.environ["CONTEXTGRAPH_TEST_PGBIN"]) / "pg_dump"
    return subprocess.run([str(dump), "--data-only", database_url], check=True, capture_output=True).stdout


async def test_encrypted_values_round_trip_and_never_reach_the_database_in_plaintext(
    app: Starlette, client: httpx.AsyncClient, database_url: str
) -> None:
    customer = await _setup(client)
    service = await new_service(client, customer_id=customer, Handling={"code": VIP, "level": 3})
    # Read back transparently, in schema order, on REST …
    profile = (await client.get(f"/profiles/{customer}?extensions=Secrets")).json()
    assert profile["Secrets"] == [{"card": CARD, "note": NOTE, "label": "main", "pin": 4242}]
    got = (await client.get(f"/services/{service}?extensions=Handling")).json()
    assert got["Handling"] == {"code": VIP, "level": 3}
    # … and GraphQL (a compiled plan reads the stored records straight).
    query = """query($id: ID!) { customer(id: $id) { extensions { Secrets { card note label pin } }
               services { extensions { Handling { code level } } } } }"""
    answer = (await client.post("/graphql", json={"query": query, "variables": {"id": customer}})).json()
    assert answer["data"]["customer"] == {
        "extensions": {"Secrets": [{"card": CARD, "note": NOTE, "label": "main", "pin": 4242}]},
        "services": [{"extensions": {"Handling": {"code": VIP, "level": 3}}}],
    }
    # The rows hold the ciphertext and the label, which is not marked encrypt.
    async with app.state.runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(extension_record_t))).all()
    assert all(row.sealed for row in rows)
    assert {tuple(row.record) for row in rows} == {("label",), ("level",)}
    raw = _raw_database(database_url)
    assert b"main" in raw or database_url.startswith("postgresql")  # the probe sees the records' bytes
    for plaintext in PLAINTEXTS:
        assert plaintext.encode() not in raw, plaintext
        assert plaintext.encode("utf-16-le") not in raw


async def test_identify_and_unique_lookups_use_the_blind_index(app: Starlette, client: httpx.AsyncClient) -> None:
    customer = await _setup(client)
    found = (await client.get("/profiles", params={"Secrets.card": CARD})).json()
    assert found["customer_id"] == customer
    assert (await client.get("/profiles", params={"Secrets.card": CARD + "0"})).json() == []
    async with app.state.runtime.db.read() as conn:
        values = (await conn.execute(sa.select(identity_index_t.c.value, identity_index_t.c.unique_value))).all()
    assert values
    assert all(CARD not in str(v) for row in values for v in row)
    # The unique key is enforced across customers on the blind values.
    again = await client.post("/profiles", json={"FirstName": "Eve", "Secrets": [{"card": CARD}]})
    assert again.status_code == 409, again.text
    # Update and delete by the (encrypted) unique attribute.
    path = f"/profiles/{customer}/extensions/Secrets"
    updated = await client.put(f"{path}/by/unique", json={"card": CARD, "note": "now fine", "pin": 1})
    assert updated.status_code == 204, updated.text
    records = (await client.get(f"/profiles/{customer}?extensions=Secrets")).json()["Secrets"]
    assert records == [{"card": CARD, "note": "now fine", "label": "main", "pin": 1}]
    missing = await client.put(f"{path}/by/unique", json={"card": "0000", "note": "x"})
    assert missing.status_code == 404, missing.text
    deleted = await client.put(f"{path}/delete/by/unique", json={"card": CARD})
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"/profiles/{customer}?extensions=Secrets")).json()["Secrets"] == []


async def test_the_key_file_is_made_on_first_need_with_mode_0600(
    app: Starlette, client: httpx.AsyncClient, tmp_path: Path, caplog: Any
) -> None:
    key_file = tmp_path / "contextgraph.keys"
    assert not key_file.exists()  # nothing encrypts yet: no key is made
    await _setup(client)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert str(key_file) in caplog.text


async def test_values_stored_in_plaintext_before_0008_are_encrypted_at_start(
    database_url: str, tmp_path: Path, caplog: Any
) -> None:
    """A database at 0007 whose `encrypt` attribute values (and an identity key on one) are plaintext:
    the first start after the migration encrypts them and rewrites the identity index as blind."""
    database = Database(load_settings(None, database=database_url).async_database_url)
    try:
        async with database.write() as conn:
            await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0007"))
            definition = parse_schema("profile", SECRETS).describe()
            insert = "INSERT INTO extension_schema (owner_kind, name, name_key, definition, created_ms) VALUES "
            await conn.execute(
                sa.text(insert + "('profile', 'Secrets', 'secrets', :d, 0)"), {"d": json.dumps(definition)}
            )
            await conn.execute(sa.text("INSERT INTO customer (id, attributes, created_ms) VALUES ('c1', '{}', 0)"))
            record = json.dumps({"card": CARD, "note": NOTE, "label": "old"})
            await conn.execute(
                sa.text("INSERT INTO extension_record (schema_id, owner_id, record) VALUES (1, 'c1', :r)"),
                {"r": record},
            )
            await conn.execute(
                sa.text(
                    'INSERT INTO identification_key (name, name_key, source, attributes, "unique") '
                    "VALUES ('byCard', 'bycard', 'Secrets', :a, true)"
                ),
                {"a": json.dumps(["card"])},
            )
            value = CARD + "\x1f"
            await conn.execute(
                sa.text(
                    "INSERT INTO identity_index (key_id, customer_id, value, unique_value) VALUES (1, 'c1', :v, :v)"
                ),
                {"v": value},
            )
    finally:
        await database.dispose()
    settings = load_settings(
        None, database=database_url, bootstrap_key=KEY, encryption_key_file=str(tmp_path / "k.keys")
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        async with application.state.runtime.db.read() as conn:
            row = (await conn.execute(sa.select(extension_record_t))).one()
            index = (await conn.execute(sa.select(identity_index_t.c.value))).scalars().all()
        assert row.record == {"label": "old"}
        assert row.sealed
        assert index
        assert all(CARD not in v for v in index)
        if database_url.startswith("sqlite"):  # no copy left in the file's free pages or the WAL
            assert CARD.encode() not in _raw_database(database_url)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as client:
            found = (await client.get("/profiles", params={"Secrets.card": CARD, "extensions": "Secrets"})).json()
    assert found["customer_id"] == "c1"
    assert found["Secrets"] == [{"card": CARD, "note": NOTE, "label": "old"}]
    assert "encrypted 1 extension records stored in plaintext" in caplog.text


async def test_graphql_writes_and_merges_keep_values_encrypted_and_readable(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    customer = await _setup(client)
    service = await new_service(client, customer_id=customer)
    replace = """mutation($s: Long!) { replaceExtension(owner: {kind: SERVICE, serviceId: $s},
                 value: {service: {Handling: {code: "gq-Ω-secret", level: 1}}}) }"""
    answer = (await client.post("/graphql", json={"query": replace, "variables": {"s": service}})).json()
    assert answer == {"data": {"replaceExtension": True}}
    got = (await client.get(f"/services/{service}?extensions=Handling")).json()["Handling"]
    assert got == {"code": "gq-Ω-secret", "level": 1}
    # A merge moves the source's records to the destination: re-encrypted for their new owner.
    source = await new_customer(client, FirstName="Bo", Secrets=[{"card": "5500-0000", "note": "second"}])
    merged = await client.put(f"/profiles/{customer}/merge/{source}")
    assert merged.status_code == 204, merged.text
    records = (await client.get(f"/profiles/{customer}?extensions=Secrets")).json()["Secrets"]
    assert {r["card"] for r in records} == {CARD, "5500-0000"}
    assert (await client.get("/profiles", params={"Secrets.card": "5500-0000"})).json()["customer_id"] == customer
    async with app.state.runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(extension_record_t.c.record, extension_record_t.c.sealed))).all()
    assert all(row.sealed for row in rows)
    assert all("gq-Ω-secret" not in str(row.record) and "5500-0000" not in str(row.record) for row in rows)


async def test_a_damaged_value_is_a_clear_503_not_a_500(app: Starlette, client: httpx.AsyncClient) -> None:
    customer = await _setup(client)
    async with app.state.runtime.db.write() as conn:
        sealed = await conn.scalar(sa.select(extension_record_t.c.sealed))
        key_id = sealed.partition(":")[0]
        await conn.execute(sa.update(extension_record_t).values(sealed=f"{key_id}:not*base64"))
    answer = await client.get(f"/profiles/{customer}?extensions=Secrets")
    assert answer.status_code == 503, answer.text
    assert "does not open" in answer.json()["description"]
