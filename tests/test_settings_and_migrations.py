"""Settings precedence and URL handling; migrations that match the tables and run idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from starlette.applications import Starlette

from contextgraph.app.settings import load_settings
from contextgraph.resolvers.store.migrate import migrate
from contextgraph.resolvers.store.tables import metadata


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
        assert await conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0006"
