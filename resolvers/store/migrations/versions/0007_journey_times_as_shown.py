"""Services, states and tasks keep their start and end as the API shows them (`startedAt`,
`completedAt`: ISO text written once with the event), so a read formats nothing. Existing rows are
filled from their epoch milliseconds, in batches, before the start becomes NOT NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from contextgraph.resolvers.timefmt import format_ms

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("service", "state", "task")
BATCH = 5000
TEXT = sa.String(32)


def _fill(bind: sa.Connection, name: str) -> None:
    table = sa.table(
        name,
        sa.column("id"),
        sa.column("started_ms"),
        sa.column("completed_ms"),
        sa.column("started_at"),
        sa.column("completed_at"),
    )
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(started_at=sa.bindparam("started"), completed_at=sa.bindparam("completed"))
    )
    last = -1
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.started_ms, table.c.completed_ms)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bind.execute(
            update,
            [
                {
                    "row_id": row.id,
                    "started": format_ms(row.started_ms),
                    "completed": format_ms(row.completed_ms) if row.completed_ms is not None else None,
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        op.add_column(name, sa.Column("started_at", TEXT, nullable=True))
        op.add_column(name, sa.Column("completed_at", TEXT, nullable=True))
        _fill(bind, name)
        _not_null(bind, name)


def _not_null(bind: sa.Connection, name: str) -> None:
    """`started_at` NOT NULL. PostgreSQL alters the column; SQLite rebuilds the table, keeping
    AUTOINCREMENT and where its ids have counted to (an id once given is never given again)."""
    sequence = sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name")
    counted = bind.execute(sequence, {"name": name}).scalar() if bind.dialect.name == "sqlite" else None
    with op.batch_alter_table(name, table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("started_at", existing_type=TEXT, nullable=False)
    if counted is not None:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = max(seq, :counted) WHERE name = :name"),
            {"counted": counted, "name": name},
        )


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.drop_column("completed_at")
            batch.drop_column("started_at")
