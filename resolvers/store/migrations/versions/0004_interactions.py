"""Interactions, and the links from services to the interactions their events name.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "interaction",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("service_id", sa.BigInteger(), sa.ForeignKey("service.id"), nullable=True),
        sa.Column("entity_type", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("fields", Json, nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("structured_text", sa.Text(), nullable=True),
        sa.Column("binary_content", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_interaction_customer", "interaction", ["customer_id", "start_ms"])
    op.create_index("ix_interaction_service", "interaction", ["service_id"])
    op.create_table(
        "service_interaction",
        sa.Column("service_id", sa.BigInteger(), sa.ForeignKey("service.id"), primary_key=True),
        sa.Column("interaction_id", sa.String(64), primary_key=True),
    )
    # Link the interactions that events recorded before this version name.
    bind = op.get_bind()
    links: set[tuple[int, str]] = set()
    for table, column in (("service", "id"), ("state", "service_id"), ("task", "service_id")):
        rows = bind.execute(sa.text(f"SELECT {column}, started, completed FROM {table}"))
        for service_id, started, completed in rows:
            for event in (started, completed):
                if isinstance(event, str):  # SQLite hands JSON back as text here
                    event = json.loads(event)
                if event and event.get("interaction_id") is not None:
                    links.add((service_id, str(event["interaction_id"])[:64]))
    if links:
        op.bulk_insert(
            sa.table("service_interaction", sa.column("service_id"), sa.column("interaction_id")),
            [{"service_id": s, "interaction_id": i} for s, i in sorted(links)],
        )


def downgrade() -> None:
    op.drop_table("service_interaction")
    op.drop_table("interaction")
