"""Trusted documents: GraphQL documents registered ahead of time (by hash), the only ones that run
in trusted-documents mode. A new table; no existing data moves.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_document",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trusted_document")
