"""Core tables: customer, service, state, task, server_state.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _journey_columns() -> list[sa.Column]:
    return [
        sa.Column("type_value", Json, nullable=False),
        sa.Column("type_key", sa.String(256), nullable=False),
        sa.Column("est_duration", sa.Integer(), nullable=True),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("completed_ms", sa.BigInteger(), nullable=True),
        sa.Column("duration", sa.BigInteger(), nullable=True),
        sa.Column("disposition", Json, nullable=True),
        sa.Column("disposition_desc", sa.String(), nullable=True),
        sa.Column("started", Json, nullable=False),
        sa.Column("completed", Json, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "service",
        *_journey_columns(),
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(16), sa.ForeignKey("customer.id"), nullable=True),
        sa.Column("contact_key", sa.String(256), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_service_customer", "service", ["customer_id", "id"])
    op.create_index("ix_service_contact_key", "service", ["contact_key", "id"])
    op.create_table(
        "state",
        *_journey_columns(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.BigInteger(), sa.ForeignKey("service.id"), nullable=False),
        sa.Column("previous_state_id", sa.Integer(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_state_service", "state", ["service_id", "id"])
    op.create_table(
        "task",
        *_journey_columns(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.BigInteger(), sa.ForeignKey("service.id"), nullable=False),
        sa.Column("state_id", sa.Integer(), sa.ForeignKey("state.id"), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_task_service", "task", ["service_id", "id"])
    op.create_index("ix_task_state", "task", ["state_id", "id"])
    op.create_table(
        "server_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.bulk_insert(
        sa.table("server_state", sa.column("key"), sa.column("value")),
        [{"key": "mode", "value": "production"}],
    )


def downgrade() -> None:
    for table in ("server_state", "task", "state", "service", "customer"):
        op.drop_table(table)
