"""Alembic environment: always given a live connection by contextgraph.app.migrate."""

from alembic import context

from contextgraph.app.models import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `contextgraph serve` or contextgraph.app.migrate")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
