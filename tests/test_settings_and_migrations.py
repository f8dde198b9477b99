"""Settings precedence and URL handling; migrations that match the tables and run idempotently."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from starlette.applications import Starlette

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.store.database import Database
from contextgraph.resolvers.store.migrate import alembic_config, migrate
from contextgraph.resolvers.store.tables import Json, metadata, service_t
from tests.conftest import _pg_admin, _pg_database_url


def test_precedence_flags_then_environment_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "cg.toml"
    config.write_text('host = "0.0.0.0"\nport = 1111\ndatabase = "sqlite:///file.db"\n')
    monkeypatch.setenv("CONTEXTGRAPH_PORT", "2222")
    monkeypatch.setenv("CONTEXTGRAPH_DATABASE", "postgresql://u@db/cg")
    settings = load_settings(str(config), database="sqlite:///flag.db")
    assert settings.host == "0.0.0.0"
    assert settings.port == 2222
    assert settings.database == "sqlite:///flag.db"


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "cg.toml"
    config.write_text("port = 3333\n")
    monkeypatch.setenv("CONTEXTGRAPH_CONFIG", str(config))
    assert load_settings().port == 3333


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///./contextgraph.db", "sqlite+aiosqlite:///./contextgraph.db"),
        ("postgresql://u:p@h:5432/cg", "postgresql+asyncpg://u:p@h:5432/cg"),
        ("postgres://u@h/cg", "postgresql+asyncpg://u@h/cg"),
    ],
)
def test_database_urls_use_the_async_drivers(url: str, expected: str) -> None:
    assert load_settings(database=url).async_database_url == expected


def test_unknown_settings_and_bad_profile_schemas_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "cg.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ValueError, match="prot"):
        load_settings(str(config))
    config.write_text('[[profile_attributes]]\nname = "A"\n[[profile_attributes]]\nname = "a"\n')
    with pytest.raises(ValueError, match="defined twice"):
        load_settings(str(config))


async def test_migrations_match_the_tables_and_run_twice(app: Starlette) -> None:
    database = app.state.runtime.db
    await migrate(database)  # already at head: nothing to do, nothing breaks

    def differences(sync: sa.Connection) -> list[object]:
        return compare_metadata(MigrationContext.configure(sync), metadata)

    async with database.read() as conn:
        assert await conn.run_sync(differences) == []
        assert await conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0013"


OLD_SERVICE = sa.table(
    "service",
    sa.column("customer_id"),
    sa.column("type_value", Json),
    sa.column("type_key"),
    sa.column("started", Json),
    sa.column("started_ms"),
    sa.column("completed_ms"),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An async URL of a database with no tables yet."""
    if request.param == "sqlite":
        return load_settings(None, database=f"sqlite:///{tmp_path / 'old.db'}").async_database_url
    name = f"m_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    return load_settings(None, database=_pg_database_url(name)).async_database_url


async def test_journey_times_are_filled_in_for_rows_written_before_0007(empty_database: str) -> None:
    """A database at 0006 with services, states and tasks (one completed) moves to head: each row's
    startedAt/completedAt is its epoch milliseconds as the API shows them, the start is NOT NULL from
    then on, and ids keep counting up past the deleted last one (SQLite rebuilt the table)."""
    database = Database(empty_database)
    try:
        async with database.write() as conn:
            await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0006"))
            row = {"type_value": 1, "type_key": "1", "started": {}}
            await conn.execute(sa.text("INSERT INTO customer (id, attributes, created_ms) VALUES ('c', '{}', 0)"))
            for n, completed in ((1, 1_700_000_000_500), (2, None), (3, None)):
                await conn.execute(
                    sa.insert(OLD_SERVICE),
                    [row | {"customer_id": "c", "completed_ms": completed, "started_ms": 1_700_000_000_000 + n}],
                )
            await conn.execute(sa.text("DELETE FROM service WHERE id = 3"))
        await migrate(database)
        async with database.write() as conn:
            found = (
                await conn.execute(
                    sa.select(service_t.c.id, service_t.c.started_at, service_t.c.completed_at).order_by(service_t.c.id)
                )
            ).all()
            assert [tuple(r) for r in found] == [
                (1, "2023-11-14T22:13:20.001Z", "2023-11-14T22:13:20.500Z"),
                (2, "2023-11-14T22:13:20.002Z", None),
            ]
            with pytest.raises(sa.exc.IntegrityError):  # the start may not be missing any more
                async with conn.begin_nested():
                    await conn.execute(
                        sa.insert(service_t).values(type_value=1, type_key="1", started={}, started_ms=0)
                    )
            made = await conn.scalar(
                sa.insert(service_t)
                .values(type_value=1, type_key="1", started={}, started_ms=0, started_at="x")
                .returning(service_t.c.id)
            )
            assert made is not None
            assert made > 3  # not the deleted one's
            if conn.dialect.name == "sqlite":
                created = await conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'service'"))
                assert "AUTOINCREMENT" in created
    finally:
        await database.dispose()


async def test_rows_written_before_0008_get_version_1(empty_database: str) -> None:
    """A database at 0007 with a profile and a service moves to head: both have version 1 (what
    their first ETag names), and SQLite keeps counting ids with AUTOINCREMENT (no table rebuilt)."""
    database = Database(empty_database)
    try:
        async with database.write() as conn:
            await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0007"))
            await conn.execute(sa.text("INSERT INTO customer (id, attributes, created_ms) VALUES ('c', '{}', 0)"))
            await conn.execute(
                sa.text(
                    "INSERT INTO service (customer_id, type_value, type_key, started, started_ms, started_at)"
                    " VALUES ('c', '1', '1', '{}', 0, 'x')"
                )
            )
        await migrate(database)
        async with database.read() as conn:
            assert (await conn.execute(sa.text("SELECT version FROM customer"))).scalars().all() == [1]
            assert (await conn.execute(sa.text("SELECT version FROM service"))).scalars().all() == [1]
            if conn.dialect.name == "sqlite":
                created = await conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'service'"))
                assert "AUTOINCREMENT" in created
    finally:
        await database.dispose()
