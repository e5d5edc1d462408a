"""Retention (保存期間): a closed case past the city's period has its personal fields
erased here, each case in its own transaction, with the case's events this service
keeps in its outbox, streams and dead letters (shared/messaging/erasure.py), and
``case.retention_erased`` goes out through the outbox (intake, referral and notify
erase theirs) and onto the timeline of the case and of each case merged into it — what
was erased, and when (``tsunagi verify`` refuses erased entries with no such entry
after them). The timeline's hashes stay, so its chain still verifies; the case rows
stay, so the figures still count it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from services.case.adapters import retention as sql
from services.case.adapters.chain import add_to_timeline
from services.case.adapters.orm import messaging
from services.case.adapters.repository import CaseRepository
from services.case.domain.retention import closed_before
from services.case.handlers.common import family_ids, record
from shared.clock import as_utc
from shared.db.uow import UnitOfWork
from shared.events import Actor, Envelope, new_event_id
from shared.events.case import CaseRetentionErased
from shared.logging import get_logger
from shared.messaging.erasure import erase_messages
from shared.reference import ReferenceData

log = get_logger(__name__)

RETENTION_ACTOR = Actor(role="system", id="retention")
SERVICE = "case"


async def run_retention(
    unit_of_work: Callable[[], UnitOfWork], reference: ReferenceData, redis: Redis, *, dry_run: bool = False
) -> dict[str, Any]:
    """Erase every case due now (on the unit of work's clock); ``dry_run``: only say which."""
    years = reference.closed_case_retention_years
    async with unit_of_work() as uow:
        cutoff = closed_before(uow.clock.now(), years)
        due = await sql.due(uow.db, cutoff)
    run_id = new_event_id()
    erased: list[dict[str, Any]] = []
    for case in due:
        if dry_run:
            erased.append({"case_id": case["id"], "case_number": case["case_number"], "entries": None})
            continue
        entries = await _erase_case(unit_of_work(), redis, case["id"], years, run_id)
        if entries is not None:
            erased.append({"case_id": case["id"], "case_number": case["case_number"], "entries": entries})
    log.info("retention_run", run_id=run_id, dry_run=dry_run, cases=len(erased), retention_years=years)
    return {
        "run_id": run_id,
        "dry_run": dry_run,
        "retention_years": years,
        "closed_before": cutoff.isoformat(),
        "cases": erased,
    }


async def _erase_case(uow: UnitOfWork, redis: Redis, case_id: str, years: int, run_id: str) -> int | None:
    async with uow:
        case = await CaseRepository(uow.db).get(case_id, for_update=True)
        if case is None or case["erased_at"] is not None:
            return None  # another run got there first
        case_ids = await family_ids(uow, case_id)
        now = uow.clock.now()
        entries = await sql.erase(uow.db, case_ids, now, reason=f"retention run {run_id}")
        payload = CaseRetentionErased(
            case_id=case_id,
            case_ids=case_ids,
            closed_at=as_utc(case["closed_at"]).isoformat(),
            retention_years=years,
            erased=sql.ERASED_FIELDS,
            aggregate_ids=await sql.aggregates_of(uow.db, case_ids),
        )
        await erase_messages(uow.db, messaging.outbox, redis, SERVICE, payload, now)
        envelope = Envelope.wrap(
            payload,
            aggregate_id=case_id,
            actor=RETENTION_ACTOR,
            correlation_id=f"retention-{run_id}",
            case_id=case_id,
            occurred_at=now,
        )
        await record(uow, envelope, case_id)
        # A merged case's timeline has erased entries too: its own record of the erasure
        # (not published: the event above speaks for the whole family).
        for merged in case_ids[1:]:
            add_to_timeline(
                uow, (envelope.caused(payload, aggregate_id=merged, actor=RETENTION_ACTOR, case_id=merged), merged)
            )
        await uow.commit()
    return entries
