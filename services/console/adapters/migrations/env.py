from services.console.adapters.orm import metadata
from shared.db.alembic_env import run_migrations

run_migrations(metadata)
