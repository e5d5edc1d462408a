"""Whether a case's timeline still verifies: its chain and the chains of the cases
merged into it, by the same walk as ``tsunagi verify`` (adapters/verify.py)."""

from __future__ import annotations

from typing import Any

from services.case.adapters.verify import verify_chains
from services.case.handlers.common import family_ids, load_visible, read_snapshot, require_reader
from shared.clock import jst_text
from shared.db.uow import UnitOfWork
from shared.identity import Identity


async def verification_of(uow: UnitOfWork, key: bytes, case_id: str, caller: Identity) -> dict[str, Any]:
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)
        await load_visible(uow, case_id, caller)
        chains = [result async for result in verify_chains(uow.db, key, await family_ids(uow, case_id))]
    return {
        "case_id": case_id,
        "intact": all(c.intact for c in chains),
        "entries": sum(c.entries for c in chains),
        "chains": [c.as_dict() for c in chains],
        "verified_at_jst": jst_text(uow.clock.now()),
    }
