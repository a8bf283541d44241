"""Alembic environment: migrations run on the connection `store.migrate` hands in."""

from __future__ import annotations

from alembic import context

from cognate.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Several servers starting together against one database migrate one at a time.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7429311)")
    context.run_migrations()
