"""Journey events: each written with the write that caused it, numbered by a global sequence in
commit order, so a subscriber that reconnects replays what it missed. A new table; events start
with this version (nothing that happened before it can be replayed), so no existing data moves.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "journey_event",
        sa.Column("sequence", BigId, primary_key=True, autoincrement=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=True),
        sa.Column("state_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("extension", sa.String(256), nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_journey_event_customer", "journey_event", ["customer_id", "sequence"])
    op.create_index("ix_journey_event_service", "journey_event", ["service_id", "sequence"])
    op.create_index("ix_journey_event_created", "journey_event", ["created_ms"])


def downgrade() -> None:
    op.drop_table("journey_event")
