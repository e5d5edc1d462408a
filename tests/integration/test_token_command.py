"""``tsunagi token`` refuses what the services would refuse, the accounts included: it
reads the accounts the case service learned from the console (its own tables, SQLite or
PostgreSQL) and will not sign a grant an account does not hold."""

from __future__ import annotations

import asyncio

import pytest

from services.case.adapters.orm import access
from shared.cli.main import known_accounts, main
from shared.clock import utcnow
from shared.db.engine import make_engine
from shared.db.migrate import migrate
from shared.events import new_event_id
from shared.identity import read_token


async def _token_command(*args: str) -> int:
    # The command runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(main, ["token", *args])


@pytest.mark.empty_database
async def test_the_token_command_checks_the_accounts_the_case_service_knows(
    make_settings, database_backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings()
    assert await known_accounts(settings) is None  # no case database yet: reference data only
    await migrate(settings, "case")
    engine = make_engine(settings, "case")
    try:
        async with engine.begin() as db:
            await db.execute(
                access.accounts.insert().values(
                    account_id="csw-chubu-1",
                    disabled=False,
                    grants=[{"role": "coordinator", "scope": "中部"}],
                    event_id=new_event_id(),
                    updated_at=utcnow(),
                )
            )
    finally:
        await engine.dispose()
    registry = await known_accounts(settings)
    assert registry is not None and registry.knows("csw-chubu-1")

    monkeypatch.setenv("TSUNAGI_MODE", "test")
    monkeypatch.setenv("TSUNAGI_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("TSUNAGI_DATABASE_URL", settings.database_url)
    capsys.readouterr()
    assert await _token_command("--role", "coordinator", "--scope", "市全域", "--subject", "csw-chubu-1") == 2
    assert "権限を持っていません" in capsys.readouterr().err
    assert await _token_command("--role", "coordinator", "--scope", "中部", "--subject", "csw-chubu-1") == 0
    assert read_token(settings, capsys.readouterr().out.strip(), registry).subject == "csw-chubu-1"
