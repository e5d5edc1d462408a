"""Reassigning many cases at once (the coordinators' page: tick the rows, choose a
coordinator). Each case is one ``commands.assign`` — the very rules of
``POST /v1/cases/{id}/assignment`` — in its own transaction, in the order given, so a
stale, closed or invisible case holds back none of the others; each outcome is
reported (assigned, conflict, not_found, unchanged, invalid)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.case.adapters.repository import CaseRepository
from services.case.domain.queue import may_see
from services.case.handlers import commands
from services.case.handlers.common import require_writer
from shared.db.uow import UnitOfWork
from shared.errors import AlreadyDone, DomainError, InvalidInput, NotFound, StaleVersion
from shared.identity import Identity
from shared.reference import ReferenceData


@dataclass(frozen=True)
class Wanted:
    case_id: str
    version: int  # the version the coordinator saw


def _outcome_of(exc: DomainError) -> str:
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, StaleVersion):
        return "conflict"
    if isinstance(exc, AlreadyDone):
        return "unchanged"
    return "invalid"  # merged, closed, or the coordinator is not this area's


async def reassign(
    unit_of_work: Callable[[], UnitOfWork],
    reference: ReferenceData,
    coordinator_id: str,
    wanted: list[Wanted],
    caller: Identity,
    correlation_id: str,
) -> dict[str, Any]:
    require_writer(caller)
    repeated = sorted(case_id for case_id, n in Counter(w.case_id for w in wanted).items() if n > 1)
    if repeated:
        raise InvalidInput(f"同じケースが複数回指定されています: {repeated}", field="items")
    commands.registered_coordinator(reference, coordinator_id)  # one answer for all, not one per case
    async with unit_of_work() as uow:
        known = await CaseRepository(uow.db).numbers_and_areas([w.case_id for w in wanted])
    numbers = {case_id: number for case_id, (number, area) in known.items() if may_see(caller.role, caller.scope, area)}
    results = []
    for item in wanted:
        result: dict[str, Any] = {"case_id": item.case_id, "case_number": numbers.get(item.case_id)}
        try:
            version = await commands.assign(
                unit_of_work(), reference, item.case_id, coordinator_id, item.version, caller, correlation_id
            )
            result.update(outcome="assigned", version=version)
        except DomainError as exc:
            result.update(
                outcome=_outcome_of(exc), message=exc.message, current_version=exc.extensions.get("current_version")
            )
            if result["outcome"] == "not_found":
                result["case_number"] = None
        results.append(result)
    return {
        "coordinator_id": coordinator_id,
        "assigned": sum(r["outcome"] == "assigned" for r in results),
        "results": results,
    }
