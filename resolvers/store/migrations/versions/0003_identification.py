"""Identification keys and the identity index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
IndexText = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "identification_key",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(26), nullable=False),
        sa.Column("name_key", sa.String(26), nullable=False, unique=True),
        sa.Column("source", sa.String(26), nullable=True),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("unique", sa.Boolean(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "identity_index",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("identification_key.id"), nullable=False),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("value", IndexText, nullable=False),
        sa.Column("unique_value", IndexText, nullable=True),
        sa.UniqueConstraint("key_id", "unique_value", name="uq_identity_unique_value"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_identity_value", "identity_index", ["key_id", "value"])
    op.create_index("ix_identity_customer", "identity_index", ["customer_id"])


def downgrade() -> None:
    op.drop_table("identity_index")
    op.drop_table("identification_key")
