"""Idempotency keys: the first result of a start sent with an `Idempotency-Key`, per API key, so a
retry (to any worker) answers it instead of starting again; purged once expired.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("principal", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", Json, nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_idempotency_key_expires", "idempotency_key", ["expires_ms"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_key_expires", "idempotency_key")
    op.drop_table("idempotency_key")
