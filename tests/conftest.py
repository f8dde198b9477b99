"""Fixtures: every test that takes `client` runs once on SQLite (a fresh file) and once on a fresh
PostgreSQL database (cloned from a migrated template on the server `make test` starts).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from contextgraph.app.main import create_app
from contextgraph.app.settings import load_settings
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.resolvers.store.tables import metadata
from tests.servers import AUTH, KEY, serve  # noqa: F401 - a fixture

PG_URL = os.environ.get("CONTEXTGRAPH_TEST_POSTGRES")

_TEMPLATE = f"contextgraph_template_{os.getpid()}"  # one per test run: runs may share a server


def _pg_database_url(name: str) -> str:
    assert PG_URL is not None
    return PG_URL.rsplit("/", 1)[0] + "/" + name


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database that each PostgreSQL test clones (cheaper than migrating each time)."""
    if PG_URL is None:
        pytest.fail("CONTEXTGRAPH_TEST_POSTGRES is not set: run the tests with `make test`")

    async def build() -> None:
        await _pg_admin(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
        await _pg_admin(f"CREATE DATABASE {_TEMPLATE}")
        database = Database(_async_url(_pg_database_url(_TEMPLATE)))
        await migrate(database)
        await database.dispose()

    asyncio.run(build())
    yield _TEMPLATE
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {_TEMPLATE}"))


def _async_url(url: str) -> str:
    return load_settings(None, database=url).async_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A plain (operator-style) database URL for a database no other test uses."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contextgraph.db'}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield _pg_database_url(name)
    # dropped after the test (and after whatever used it): a shared server does not fill its disk
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
async def app(database_url: str, settings_overrides: dict[str, Any], tmp_path: Path) -> AsyncIterator[Starlette]:
    overrides = dict(settings_overrides)
    overrides.setdefault("bootstrap_key", KEY)
    # The encryption keys a test's schemas may need: its own, never a file in the working directory.
    overrides.setdefault("encryption_key_file", str(tmp_path / "contextgraph.keys"))
    # Tests seed data as fast as the machine goes; the limit has its own tests (test_bounded_inputs).
    overrides.setdefault("rate_limit", 0)
    settings = load_settings(overrides.pop("config_file", None), database=database_url, **overrides)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=AUTH) as http:
        yield http


async def snapshot(app: Starlette) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a failed request wrote nothing."""
    database: Database = app.state.runtime.db
    contents: dict[str, list[tuple[Any, ...]]] = {}
    async with database.read() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            contents[table.name] = [tuple(r) for r in rows]
    return contents
