"""One settings object: defaults, then the TOML config file, then CONTEXTGRAPH_* variables, then flags.

Each layer declares what it reads (resolvers/settings.py, schema/settings.py); `Settings` is all of
it plus what only the composition root reads (where to listen, the database, workers, request
limits). `load_settings(config_file="cg.toml", port=9000)` is what the CLI and the tests call.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from contextgraph.schema.settings import SchemaSettings


class Settings(SchemaSettings, BaseSettings):
    """Everything an operator can set; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="CONTEXTGRAPH_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "sqlite:///./contextgraph.db"
    workers: int = Field(default=1, ge=1)
    # How often a worker looks for what other workers changed: the server mode, extension schemas.
    refresh_interval: float = Field(default=0.5, gt=0)
    # Pool size per worker for PostgreSQL.
    pool_size: int = Field(default=10, ge=1)
    # At start, ensure an API key with every role and this secret exists (the operator contract).
    bootstrap_key: SecretStr | None = None
    # Requests per second per API key (0: no limit), and how many may come at once.
    rate_limit: float = Field(default=100.0, ge=0)
    rate_limit_burst: int = Field(default=200, ge=1)
    # Wrong API keys a client address may send per minute before what it sends with a key is 429
    # (0: no limit); the address behind one of `trusted_proxies` is the one it forwards for.
    auth_failures_per_minute: int = Field(default=20, ge=0)
    # Proxies (addresses or networks, "10.0.0.0/8") whose X-Forwarded-For and X-Forwarded-Proto
    # are believed; from anyone else those headers are ignored. "*" believes everyone.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Seconds a connection may take to send a request's headers (from connecting, or from the
    # previous answer), and a websocket to send its connection_init; then it is closed.
    header_timeout: float = Field(default=10.0, gt=0)
    # Seconds a request's body may take to arrive once its headers are complete; then 408.
    body_timeout: float = Field(default=60.0, gt=0)
    # Open connections per process, websockets included; more are closed as soon as accepted.
    max_connections: int = Field(default=1000, ge=1)
    # Request bodies: most requests, and the bulk imports (REST /profiles/import, GraphQL multipart).
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=104_857_600, ge=1024)

    @field_validator("bootstrap_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None or not key.get_secret_value():
            return None  # CONTEXTGRAPH_BOOTSTRAP_KEY= (empty) means none
        if len(key.get_secret_value()) < 16:
            raise ValueError("the bootstrap key must be at least 16 characters long")
        return key

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """CONTEXTGRAPH_TRUSTED_PROXIES=10.0.0.1,10.1.0.0/16 (a TOML file gives a list)."""
        return [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            if proxy != "*":
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"'{proxy}' is not an IP address or network") from None
        return proxies

    @property
    def async_database_url(self) -> str:
        """The SQLAlchemy URL with the async driver this project uses for each database."""
        url = self.database
        for prefix, driver in (
            ("sqlite://", "sqlite+aiosqlite://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
        ):
            if url.startswith(prefix):
                return driver + url[len(prefix) :]
        if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            return url
        raise ValueError(f"unsupported database URL '{url}': use sqlite:/// or postgresql://")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags beat the environment, which beats the config file.
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)


def load_settings(config_file: str | None = None, **overrides: object) -> Settings:
    """Settings from the config file (flag, else CONTEXTGRAPH_CONFIG), environment and overrides."""
    config_file = config_file or os.environ.get("CONTEXTGRAPH_CONFIG")
    cls: type[Settings] = Settings
    if config_file:
        if not os.path.isfile(config_file):
            raise FileNotFoundError(f"config file '{config_file}' does not exist")
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": config_file})
        cls = type("FileSettings", (Settings,), {"model_config": config})
    values = {k: v for k, v in overrides.items() if v is not None}
    settings = cls(**values)  # type: ignore[arg-type]
    if settings.encryption_key_file is None:
        settings.encryption_key_file = default_key_file(settings.database, config_file)
    return settings


def default_key_file(database: str, config_file: str | None) -> str:
    """Where the server keeps its encryption keys when not told: beside the config file, else beside
    the SQLite database, else in the working directory; never inside the database."""
    if config_file:
        folder = os.path.dirname(os.path.abspath(config_file))
    elif database.startswith("sqlite") and "///" in database and ":memory:" not in database:
        folder = os.path.dirname(os.path.abspath(database.split("///", 1)[1].split("?", 1)[0] or "."))
    else:
        folder = os.getcwd()
    return os.path.join(folder, "contextgraph.keys")
