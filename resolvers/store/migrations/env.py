"""Alembic environment: always given a live connection by contextgraph.resolvers.store.migrate."""

from alembic import context

from contextgraph.resolvers.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `contextgraph serve` or contextgraph.resolvers.store.migrate")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
