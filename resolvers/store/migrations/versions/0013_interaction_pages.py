"""Interaction pages: a customer's interactions are paged by (start time, id) — connections cut
after or before a cursor with one row-value comparison — so the customer index holds the id too and
a page is read as a range of it. No data moves.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_interaction_customer", table_name="interaction")
    op.create_index("ix_interaction_customer", "interaction", ["customer_id", "start_ms", "id"])


def downgrade() -> None:
    op.drop_index("ix_interaction_customer", table_name="interaction")
    op.create_index("ix_interaction_customer", "interaction", ["customer_id", "start_ms"])
