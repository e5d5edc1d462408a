"""The body of every service's Alembic ``env.py``: migrations run on a connection
handed over by ``shared.db.migrate`` (online), on the service's own schema."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData


def run_migrations(metadata: MetaData) -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `tsunagi migrate` (it hands Alembic a connection)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
