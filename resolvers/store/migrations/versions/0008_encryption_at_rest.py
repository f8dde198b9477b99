"""Encryption at rest: extension records keep the values of `encrypt` attributes encrypted beside the
others (`sealed`) with the blind index of the unique ones (`blind`); `encryption_key` lists the keys
that may have encrypted values (ids and check values, never a key).

Existing plaintext values of `encrypt` attributes cannot be encrypted here (a migration has no key):
the server encrypts them, and rewrites the identity index built on them, when it starts after this
migration (extensions/sealing.py `seal_plaintext`), before it serves a request.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("extension_record", sa.Column("sealed", sa.Text(), nullable=True))
    op.add_column("extension_record", sa.Column("blind", Json, nullable=True))
    op.create_table(
        "encryption_key",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("check_value", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("encryption_key")
    with op.batch_alter_table("extension_record", table_kwargs={"sqlite_autoincrement": True}) as table:
        table.drop_column("blind")
        table.drop_column("sealed")
