"""Profiles, services, states and tasks get a `version` that every write of them (or of what
their answers show below them) moves: what their ETags name. Existing rows start at 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("customer", "service", "state", "task")


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no table is rebuilt, existing rows take the default.
    for name in TABLES:
        op.add_column(name, sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"))


def downgrade() -> None:
    for name in TABLES:
        kwargs = {"sqlite_autoincrement": True} if name != "customer" else {}
        with op.batch_alter_table(name, table_kwargs=kwargs) as batch:
            batch.drop_column("version")
