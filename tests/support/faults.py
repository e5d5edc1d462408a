"""What the fault tests check after breaking something: intake's own counts (every
consultation stored and linked to a case), then ``tsunagi check`` and ``tsunagi verify``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlalchemy import func, select

from services.intake.adapters.orm import consultations
from shared.db.engine import make_engine
from shared.settings import Settings
from tests.support.load import tsunagi_check
from tests.support.system import System
from tests.support.timelines import run_verify

# Consultations sent in a test that breaks something mid-load.
N = 500


async def intake_counts(settings: Settings) -> tuple[int, int, int]:
    """(consultations stored, linked to a case, distinct cases) — from intake's own
    database, which learns its case from the case service's events."""
    engine = make_engine(settings, "intake")
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(select(func.count()).select_from(consultations))).scalar_one()
            linked = (
                await conn.execute(
                    select(func.count()).select_from(consultations).where(consultations.c.case_id.is_not(None))
                )
            ).scalar_one()
            cases = (
                await conn.execute(
                    select(func.count(func.distinct(consultations.c.case_id))).select_from(consultations)
                )
            ).scalar_one()
            return int(stored), int(linked), int(cases)
    finally:
        await engine.dispose()


async def wait_all_linked(settings: Settings, expected: int, timeout: float = 120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        stored, linked, _ = await intake_counts(settings)
        if stored == expected and linked == expected:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    stored, linked, _ = await intake_counts(settings)
    raise AssertionError(f"after {timeout}s: {stored} stored, {linked} linked to a case, expected {expected}")


def assert_clean(system: System, figures: dict[str, Any]) -> None:
    report = tsunagi_check(system.settings)
    figures["check_exit_code"] = report["exit_code"]
    figures["lost"] = report.get("lost", report.get("summary", {}).get("lost"))
    figures["duplicates"] = report.get("duplicates", report.get("summary", {}).get("duplicates"))
    code, verified = run_verify(system.settings)
    figures["verify_exit_code"] = code
    print("\nFIGURES " + json.dumps(figures, ensure_ascii=False))
    assert report["exit_code"] == 0, json.dumps(report, ensure_ascii=False)[:3000]
    # Whatever was killed mid-append, every case's timeline chain still verifies.
    assert code == 0 and verified["entries"] > 0, json.dumps(verified, ensure_ascii=False)[:3000]
