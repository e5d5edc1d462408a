"""Schema migrations per service (Alembic), run programmatically.

``tsunagi migrate`` upgrades every service to head; ``tsunagi makemigration SERVICE -m
MSG`` autogenerates a revision by comparing the models with a scratch SQLite database
upgraded to head."""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import is_postgres, make_engine
from shared.settings import PROJECT_ROOT, Settings


def migrations_dir(service: str) -> Path:
    return PROJECT_ROOT / "services" / service / "adapters" / "migrations"


def alembic_config(service: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.set_main_option("path_separator", "os")
    return cfg


async def upgrade(engine: AsyncEngine, service: str, revision: str = "head", settings: Settings | None = None) -> None:
    """``settings`` reach the migrations as ``config.attributes["settings"]`` (a data
    migration may need a configured key); without them a migration reads ``Settings()``."""
    if is_postgres(engine):
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
    cfg = alembic_config(service)

    def _run(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        cfg.attributes["settings"] = settings
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def migrate(settings: Settings, service: str) -> None:
    engine = make_engine(settings, service)
    try:
        await upgrade(engine, service, settings=settings)
    finally:
        await engine.dispose()


async def make_revision(service: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch), database_url=None)
        engine = make_engine(settings, service)
        try:
            await upgrade(engine, service, settings=settings)
            cfg = alembic_config(service)

            def _revise(sync_conn) -> None:
                cfg.attributes["connection"] = sync_conn
                command.revision(cfg, message=message, autogenerate=True)

            async with engine.begin() as conn:
                await conn.run_sync(_revise)
        finally:
            await engine.dispose()
