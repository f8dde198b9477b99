"""Tables (SQLModel). Changes ship as Alembic migrations in app/migrations; a test keeps both equal.

Extension records are rows keyed by (schema, owner), validated on every write; no DDL at runtime.

Times are epoch milliseconds (UTC) so ordering and range filters are exact on every database.
"Long or string" values (types, dispositions) are JSON so they round-trip as given; `type_key` is
their text form, indexed for the `*_types` filters.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

Json = sa.JSON().with_variant(JSONB(), "postgresql")
# SQLite only allocates ids (and AUTOINCREMENT never reuses them) on an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class _JsonRead(sa.types.UserDefinedType[Any]):
    """Reads a JSON column in one step: on SQLite orjson on the text (numbers arrive as numbers);
    on PostgreSQL asyncpg has decoded it already. For hot reads of many rows: see `read_json`.
    """

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "JSON"

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return None
        loads = orjson.loads
        return lambda value: loads(value) if type(value) is str else value


def read_json(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A JSON column to SELECT without SQLAlchemy's generic JSON processing (a third of the cost)."""
    return sa.type_coerce(column, _JsonRead()).label(column.key)


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=Json, nullable=nullable)


class Customer(SQLModel, table=True):
    """A customer profile: server-made 16-character id and its attributes."""

    __tablename__ = "customer"

    id: str = Field(primary_key=True, max_length=16)
    attributes: dict[str, Any] = _json(nullable=False)
    created_ms: int = Field(sa_type=sa.BigInteger)
    # What its ETag names (resolvers/versions.py): moves with every write of the profile.
    version: int = Field(default=1, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "1"})


class _Journey(SQLModel):
    """Columns shared by services, states and tasks: a start event and perhaps an end event."""

    type_value: Any = _json(nullable=False)
    type_key: str = Field(max_length=256)
    est_duration: int | None = Field(default=None)
    started_ms: int = Field(sa_type=sa.BigInteger)
    completed_ms: int | None = Field(default=None, sa_type=sa.BigInteger)
    duration: int | None = Field(default=None, sa_type=sa.BigInteger)
    disposition: Any = _json()
    disposition_desc: str | None = Field(default=None)
    started: dict[str, Any] = _json(nullable=False)
    completed: dict[str, Any] | None = _json()
    # The start and end as the API shows them (written with the event: a read formats nothing).
    started_at: str = Field(sa_type=sa.String(32))
    completed_at: str | None = Field(default=None, sa_type=sa.String(32))
    # What its ETag names (resolvers/versions.py): moves with every write of it or below it.
    version: int = Field(default=1, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "1"})


class Service(_Journey, table=True):
    """A promise made to a customer (or, while anonymous, to a contact key)."""

    __tablename__ = "service"
    __table_args__ = (
        sa.Index("ix_service_customer", "customer_id", "id"),
        sa.Index("ix_service_contact_key", "contact_key", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    customer_id: str | None = Field(default=None, foreign_key="customer.id", max_length=16)
    contact_key: str | None = Field(default=None, max_length=256)


class State(_Journey, table=True):
    """One step of a service's delivery."""

    __tablename__ = "state"
    __table_args__ = (
        sa.Index("ix_state_service", "service_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", sa_type=sa.BigInteger)
    previous_state_id: int | None = Field(default=None)


class Task(_Journey, table=True):
    """A unit of work inside a service, optionally inside one of its states."""

    __tablename__ = "task"
    __table_args__ = (
        sa.Index("ix_task_service", "service_id", "id"),
        sa.Index("ix_task_state", "state_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", sa_type=sa.BigInteger)
    state_id: int | None = Field(default=None, foreign_key="state.id")


class ExtensionSchema(SQLModel, table=True):
    """The schema of one profile, service, state or task extension (spec/004 "Extension Schema")."""

    __tablename__ = "extension_schema"
    __table_args__ = (
        sa.UniqueConstraint("owner_kind", "name_key", name="uq_extension_schema_name"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_kind: str = Field(max_length=16)
    name: str = Field(max_length=26)
    name_key: str = Field(max_length=26)  # the name in lower case: names are case-insensitive
    definition: dict[str, Any] = _json(nullable=False)  # the normalised schema, as queries show it
    created_ms: int = Field(sa_type=sa.BigInteger)


class ExtensionRecord(SQLModel, table=True):
    """One record of an extension, owned by a customer, service, state or task (rows, not tables)."""

    __tablename__ = "extension_record"
    __table_args__ = (
        sa.Index("ix_extension_record_owner", "schema_id", "owner_id", "id"),
        sa.Index("ix_extension_record_owner_id", "owner_id", "schema_id", "id"),  # a tree's records
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    schema_id: int = Field(foreign_key="extension_schema.id")
    owner_id: str = Field(max_length=32)  # customer id, or the service/state/task id as text
    record: dict[str, Any] = _json(nullable=False)  # the attributes not marked `encrypt`
    # Of a schema with `encrypt` attributes: theirs, encrypted (encryption/cipher.py), and the blind
    # index of those a unique rule names ({attribute: HMAC}), so lookups need not decrypt.
    sealed: str | None = Field(default=None, sa_type=sa.Text)
    blind: dict[str, str] | None = _json()


# Identity values compare byte-wise, so a prefix is a range on the index on every database.
IndexText = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")


class IdentificationKey(SQLModel, table=True):
    """Attributes that identify a customer: of the profile, or of one profile extension."""

    __tablename__ = "identification_key"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=26)
    name_key: str = Field(max_length=26, unique=True)
    source: str | None = Field(default=None, max_length=26)  # None: the profile; else an extension name
    attributes: list[str] = _json(nullable=False)
    unique: bool = Field(default=False)


class IdentityIndex(SQLModel, table=True):
    """One identifying value of one customer under one key; `unique_value` is set for unique keys so
    the database itself refuses a second customer with the same value.
    """

    __tablename__ = "identity_index"
    __table_args__ = (
        sa.Index("ix_identity_value", "key_id", "value"),
        sa.Index("ix_identity_customer", "customer_id"),
        sa.UniqueConstraint("key_id", "unique_value", name="uq_identity_unique_value"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    key_id: int = Field(foreign_key="identification_key.id")
    customer_id: str = Field(foreign_key="customer.id", max_length=16)
    value: str = Field(sa_type=IndexText)
    unique_value: str | None = Field(default=None, sa_type=IndexText)


class Interaction(SQLModel, table=True):
    """A chat, e-mail, call or callback ("Interaction Resources"); contents kept apart from fields."""

    __tablename__ = "interaction"
    __table_args__ = (
        sa.Index("ix_interaction_customer", "customer_id", "start_ms", "id"),  # pages by (start, id)
        sa.Index("ix_interaction_service", "service_id"),
    )

    id: str = Field(primary_key=True, max_length=64)  # the interaction_id the client gives
    customer_id: str = Field(foreign_key="customer.id", max_length=16)
    service_id: int | None = Field(default=None, foreign_key="service.id", sa_type=sa.BigInteger)
    entity_type: int
    start_ms: int = Field(sa_type=sa.BigInteger)
    fields: dict[str, Any] = _json(nullable=False)  # every documented field but the contents
    text: str | None = Field(default=None, sa_type=sa.Text)
    structured_text: str | None = Field(default=None, sa_type=sa.Text)
    binary_content: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class ServiceInteraction(SQLModel, table=True):
    """An interaction a service, or one of its states or tasks, names in an event."""

    __tablename__ = "service_interaction"

    service_id: int = Field(primary_key=True, foreign_key="service.id", sa_type=sa.BigInteger)
    interaction_id: str = Field(primary_key=True, max_length=64)


class ServerState(SQLModel, table=True):
    """Server-wide values shared by every worker (the server mode)."""

    __tablename__ = "server_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)


class ApiKey(SQLModel, table=True):
    """An API key: its roles (task names) and a salted hash of its secret, never the secret."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=32)  # public: the `cg_<id>_` of the secret
    name: str = Field(max_length=128, unique=True)
    roles: list[str] = _json(nullable=False)
    salt: str = Field(max_length=64)
    secret_hash: str = Field(max_length=128)
    created_ms: int = Field(sa_type=sa.BigInteger)
    revoked_ms: int | None = Field(default=None, sa_type=sa.BigInteger)


class EncryptionKey(SQLModel, table=True):
    """A data key that may have encrypted values (or the blind-index key, id `index`): its id and a
    check value to recognise it (an HMAC under a key derived from it), never the key itself.
    """

    __tablename__ = "encryption_key"

    id: str = Field(primary_key=True, max_length=32)
    check_value: str = Field(max_length=64)
    created_ms: int = Field(sa_type=sa.BigInteger)


class IdempotencyKey(SQLModel, table=True):
    """The first result of a start sent with an `Idempotency-Key`, per API key, until it expires."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.Index("ix_idempotency_key_expires", "expires_ms"),)

    principal: str = Field(primary_key=True, max_length=32)  # the API key's id
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # sha256 of the operation and its input
    result: Any = _json(nullable=False)
    expires_ms: int = Field(sa_type=sa.BigInteger)


class TrustedDocument(SQLModel, table=True):
    """A GraphQL document registered ahead of time: in trusted-documents mode only these run."""

    __tablename__ = "trusted_document"

    hash: str = Field(primary_key=True, max_length=64)  # sha256 hex of the UTF-8 text, as Apollo's
    body: str = Field(sa_type=sa.Text)
    name: str | None = Field(default=None, max_length=256)  # its first operation's name, for listing
    created_ms: int = Field(sa_type=sa.BigInteger)


class JourneyEventRow(SQLModel, table=True):
    """A journey event, written in the transaction of the write that caused it: `sequence` is
    global and in commit order, so a reconnecting subscriber replays what it missed."""

    __tablename__ = "journey_event"
    __table_args__ = (
        sa.Index("ix_journey_event_customer", "customer_id", "sequence"),
        sa.Index("ix_journey_event_service", "service_id", "sequence"),
        sa.Index("ix_journey_event_created", "created_ms"),
        {"sqlite_autoincrement": True},  # never reuse a sequence, even after a purge
    )

    sequence: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    created_ms: int = Field(sa_type=sa.BigInteger)
    kind: str = Field(max_length=16)
    action: str = Field(max_length=32)
    service_id: int = Field(sa_type=sa.BigInteger)
    customer_id: str | None = Field(default=None, max_length=16)
    state_id: int | None = Field(default=None)
    task_id: int | None = Field(default=None)
    extension: str | None = Field(default=None, max_length=256)
    at: str = Field(sa_type=sa.String(32))


customer_t: sa.Table = Customer.__table__  # type: ignore[attr-defined]
service_t: sa.Table = Service.__table__  # type: ignore[attr-defined]
state_t: sa.Table = State.__table__  # type: ignore[attr-defined]
task_t: sa.Table = Task.__table__  # type: ignore[attr-defined]
server_state_t: sa.Table = ServerState.__table__  # type: ignore[attr-defined]
extension_schema_t: sa.Table = ExtensionSchema.__table__  # type: ignore[attr-defined]
extension_record_t: sa.Table = ExtensionRecord.__table__  # type: ignore[attr-defined]
identification_key_t: sa.Table = IdentificationKey.__table__  # type: ignore[attr-defined]
identity_index_t: sa.Table = IdentityIndex.__table__  # type: ignore[attr-defined]
interaction_t: sa.Table = Interaction.__table__  # type: ignore[attr-defined]
service_interaction_t: sa.Table = ServiceInteraction.__table__  # type: ignore[attr-defined]
api_key_t: sa.Table = ApiKey.__table__  # type: ignore[attr-defined]
journey_event_t: sa.Table = JourneyEventRow.__table__  # type: ignore[attr-defined]
encryption_key_t: sa.Table = EncryptionKey.__table__  # type: ignore[attr-defined]
idempotency_key_t: sa.Table = IdempotencyKey.__table__  # type: ignore[attr-defined]
trusted_document_t: sa.Table = TrustedDocument.__table__  # type: ignore[attr-defined]
metadata = SQLModel.metadata
