"""Timeline chains in a case database for the chain tests: entries appended by the real
append code (``TimelineChain``), tampering done the way an attacker with DDL rights
would (the append-only triggers switched off first), and ``tsunagi verify`` run as the
operator runs it."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.case.adapters.chain import TimelineChain
from services.case.adapters.chain_key import timeline_key
from services.case.entrypoints.cli import add_case_commands
from services.case.entrypoints.cli import verify as verify_command
from shared.events import Actor, CaseAssigned, Envelope, new_event_id
from shared.settings import Settings
from tests.support.load import run_tsunagi

APPEND_ONLY_TRIGGERS = {
    "timeline": ("timeline_no_update", "timeline_no_delete"),
    "case_reads": ("case_reads_no_update", "case_reads_no_delete"),
}


def entry(case_id: str, n: int = 0) -> tuple[Envelope, str]:
    payload = CaseAssigned(case_id=case_id, area="中部", coordinator_id=f"csw-chubu-{n % 3 + 1}")
    envelope = Envelope.wrap(
        payload,
        aggregate_id=case_id,
        actor=Actor(role="coordinator", id="csw-chubu-1"),
        correlation_id=f"chain-test-{n}",
        case_id=case_id,
    )
    return envelope, case_id


def chain_of(settings: Settings) -> TimelineChain:
    return TimelineChain(timeline_key(settings))


async def append(engine: AsyncEngine, chain: TimelineChain, case_id: str, count: int, per_commit: int = 1) -> None:
    """``count`` entries on the case, ``per_commit`` to a transaction."""
    for start in range(0, count, per_commit):
        async with engine.begin() as db:
            batch = [entry(case_id, n) for n in range(start, min(count, start + per_commit))]
            await chain.append(db, batch, datetime.now(UTC))


def new_case_id() -> str:
    return new_event_id()


@asynccontextmanager
async def triggers_off(engine: AsyncEngine, table: str = "timeline") -> AsyncIterator[AsyncConnection]:
    """A transaction in which ``table``'s append-only triggers are gone, as an attacker
    with DDL rights would arrange (PostgreSQL: disabled; SQLite: dropped)."""
    async with engine.begin() as db:
        if db.dialect.name == "postgresql":
            await db.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            for trigger in APPEND_ONLY_TRIGGERS[table]:
                await db.execute(text(f"DROP TRIGGER {trigger}"))
        yield db


def run_verify(settings: Settings, *args: str) -> tuple[int, dict[str, Any]]:
    """``tsunagi verify --json [args]`` in its own process, on the settings' database
    (≈2 s of imports: for the one test of the command itself)."""
    done = run_tsunagi(settings, "verify", "--json", *args)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


async def verify(settings: Settings, *args: str) -> tuple[int, dict[str, Any]]:
    """What ``run_verify`` answers (exit code, JSON report), from the command's own
    function in this process: its arguments parsed by the command's own parser."""
    parser = argparse.ArgumentParser()
    add_case_commands(parser.add_subparsers())
    parsed = parser.parse_args(["verify", "--json", *args])
    code, report = await verify_command(settings, parsed.case)
    return code, json.loads(json.dumps(report))
