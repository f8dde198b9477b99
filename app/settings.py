"""One settings object: defaults, then the TOML config file, then CONTEXTGRAPH_* variables, then flags.

`load_settings(config_file="cg.toml", port=9000)` is what the CLI and the tests call.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Media types for which the documented per-media agent attributes exist ("Query Profile Schema").
_MEDIA = (
    "workitem", "auxwork", "imchat", "outboundpreview", "vmail", "smail", "cobrowsing", "webform",
    "busevent", "voice", "appsharing", "email", "chat", "any", "fax", "video", "whiteboard", "alert",
    "voip", "sms",
)


class ProfileAttribute(BaseModel):
    """One attribute of the customer profile ("Profile Attribute Schema")."""

    name: str
    type: Literal["string", "datetime"] = "string"
    length: int = Field(default=256, ge=1, le=4000)
    mandatory: bool = False
    encrypt: bool = False
    default: str | None = None


class BusinessValue(BaseModel):
    """One value of a business attribute (an enumeration member)."""

    name: str
    dbid: int
    display_name: str = ""
    description: str = ""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "dbid": self.dbid, "display_name": self.display_name or self.name,
                "description": self.description}  # fmt: skip


class BusinessAttribute(BaseModel):
    """An enumeration behind "long or string" fields ("Query Business Attribute Schema")."""

    name: str
    dbid: int
    display_name: str = ""
    description: str = ""
    map_name: bool = False
    cv_attributes: list[str] = Field(default_factory=list)
    values: list[BusinessValue] = Field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "dbid": self.dbid, "display_name": self.display_name or self.name,
                "description": self.description, "map_name": self.map_name,
                "cv_attributes": self.cv_attributes, "values": [v.describe() for v in self.values]}  # fmt: skip


def _fields(field: str, resources: str = "Service State Task") -> list[str]:
    return [f"{resource}.{field}" for resource in resources.split()]


def default_business_attributes() -> list[BusinessAttribute]:
    """The business attributes Context Services documents, MediaType with its documented values."""
    media = [BusinessValue(name=n, dbid=i, description=f"Media {n}")
             for n, i in (("voice", 1001), ("email", 1003), ("chat", 1006), ("fax", 1014))]  # fmt: skip
    return [
        BusinessAttribute(name="MediaType", dbid=1001, display_name="Media Type",
                          description="Media type identifier", cv_attributes=_fields("media_type"), values=media),
        BusinessAttribute(name="ServiceType", dbid=1002, display_name="Service Type",
                          description="Service type identifier", cv_attributes=["Service.service_type"]),
        BusinessAttribute(name="StateType", dbid=1003, display_name="State Type",
                          description="State type identifier", cv_attributes=["State.state_type"]),
        BusinessAttribute(name="TaskType", dbid=1004, display_name="Task Type",
                          description="Task type identifier", cv_attributes=["Task.task_type"]),
        BusinessAttribute(name="DispositionCode", dbid=1005, display_name="Disposition Code",
                          description="Business disposition", cv_attributes=_fields("disposition")),
        BusinessAttribute(name="ApplicationType", dbid=1006, display_name="Application Type",
                          description="Type of the issuing application", cv_attributes=_fields("application_type")),
        BusinessAttribute(name="ResourceType", dbid=1007, display_name="Resource Type",
                          description="Type of the providing resource", cv_attributes=_fields("resource_type")),
    ]  # fmt: skip


def default_profile_attributes() -> list[ProfileAttribute]:
    """The predefined attributes of spec/004 ("Profile Attribute Schema", "Query Profile Schema")."""
    names = [
        "FirstName", "LastName", "Title", "PhoneNumber", "EmailAddress", "PIN",
        "CustomerSegment", "AccountNumber", "ContactId", "homeaddress",
        "LastCalledAgent_EmployeeID", "PreferredAgent_EmployeeID",
    ]  # fmt: skip
    attributes = [ProfileAttribute(name=n) for n in names]
    attributes.append(ProfileAttribute(name="LastCalledAgent_TimeStamp", type="datetime"))
    for media in _MEDIA:
        attributes += [
            ProfileAttribute(name=f"LCA_EmplID_{media}"),
            ProfileAttribute(name=f"LCA_TimeStamp_{media}", type="datetime"),
            ProfileAttribute(name=f"Pref_EmplID_{media}"),
        ]
    return attributes


class Settings(BaseSettings):
    """Everything an operator can set; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="CONTEXTGRAPH_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "sqlite:///./contextgraph.db"
    workers: int = Field(default=1, ge=1)
    # Reject reserved words ("Unauthorized Strings") as whole attribute values, not only as names.
    check_reserved_values: bool = True
    # How long POST /server/mode waits for in-flight profile/service work before giving up (403).
    mode_switch_timeout: float = Field(default=60.0, gt=0)
    # How often a worker looks for what other workers changed: the server mode, extension schemas.
    refresh_interval: float = Field(default=0.5, gt=0)
    # Pool size per worker for PostgreSQL.
    pool_size: int = Field(default=10, ge=1)
    profile_attributes: list[ProfileAttribute] = Field(default_factory=default_profile_attributes)
    business_attributes: list[BusinessAttribute] = Field(default_factory=default_business_attributes)
    # A server-side CSV for POST /profiles/import must lie inside this folder (none: uploads only).
    import_dir: str | None = None
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
    # Open connections per process, websockets included; more are closed as soon as accepted.
    max_connections: int = Field(default=1000, ge=1)
    # Request bodies: most requests, and the bulk imports (REST /profiles/import, GraphQL multipart).
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=104_857_600, ge=1024)
    # How deep JSON bodies and variables may nest (arrays and objects).
    max_json_depth: int = Field(default=32, ge=2)
    # GraphQL limits (README "Limits"): each refusal is an error before anything runs.
    graphql_max_depth: int = Field(default=15, ge=1)
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_tokens: int = Field(default=5000, ge=100)
    graphql_max_cost: int = Field(default=100_000, ge=1)
    # The most items a GraphQL list answers (its `first`, or all up to this); page on with `offset`.
    graphql_max_list: int = Field(default=1000, ge=1)
    # What a list field without `first` counts for in the cost.
    graphql_list_estimate: int = Field(default=10, ge=1)
    # The most objects (list items) one GraphQL answer may hold, whatever the data: bounds the
    # answer's size and memory where the cost's estimate for lists without `first` falls short.
    graphql_max_objects: int = Field(default=50_000, ge=1)
    # Seconds a query or mutation may run (subscriptions are not limited).
    graphql_timeout: float = Field(default=30.0, gt=0)
    graphql_introspection: bool = True
    # "Did you mean …?" in validation errors tells strangers the schema: off unless asked for.
    graphql_suggestions: bool = False
    # Queries run on the level-at-a-time executor (schema/fast_path.py); off: graphql-core's alone.
    graphql_fast_path: bool = True

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

    @field_validator("profile_attributes")
    @classmethod
    def _unique_names(cls, attributes: list[ProfileAttribute]) -> list[ProfileAttribute]:
        seen: set[str] = set()
        for attribute in attributes:
            if attribute.name.lower() in seen:
                raise ValueError(f"profile attribute '{attribute.name}' is defined twice")
            seen.add(attribute.name.lower())
        return attributes

    @property
    def async_database_url(self) -> str:
        """The SQLAlchemy URL with the async driver this project uses for each database."""
        url = self.database
        for prefix, driver in (("sqlite://", "sqlite+aiosqlite://"),
                               ("postgresql://", "postgresql+asyncpg://"),
                               ("postgres://", "postgresql+asyncpg://")):  # fmt: skip
            if url.startswith(prefix):
                return driver + url[len(prefix):]
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
    return cls(**values)  # type: ignore[arg-type]
