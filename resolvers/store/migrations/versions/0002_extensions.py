"""Extension schemas and records; the metadata version every worker watches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "extension_schema",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(26), nullable=False),
        sa.Column("name_key", sa.String(26), nullable=False),
        sa.Column("definition", Json, nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("owner_kind", "name_key", name="uq_extension_schema_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "extension_record",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("schema_id", sa.Integer(), sa.ForeignKey("extension_schema.id"), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("record", Json, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_extension_record_owner", "extension_record", ["schema_id", "owner_id", "id"])
    op.bulk_insert(
        sa.table("server_state", sa.column("key"), sa.column("value")),
        [{"key": "metadata_version", "value": "0"}],
    )


def downgrade() -> None:
    op.drop_table("extension_record")
    op.drop_table("extension_schema")
    op.execute("DELETE FROM server_state WHERE key = 'metadata_version'")
