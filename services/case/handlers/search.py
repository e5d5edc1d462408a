"""Search for a case by its number, a consultation's reference number or a person's
name. A caller finds only the cases they may see; to anyone else a case does not exist."""

from __future__ import annotations

from typing import Any

from services.case.adapters.queue import QueueRepository
from services.case.adapters.search import CaseSearch
from services.case.domain.matching import MatchKeys
from services.case.domain.queue import may_see
from services.case.domain.search import parse_search
from services.case.handlers.common import read_snapshot, require_reader
from shared.db.uow import UnitOfWork
from shared.http.paging import Window
from shared.identity import Identity


async def search(uow: UnitOfWork, keys: MatchKeys, q: str, caller: Identity, window: Window) -> dict[str, Any]:
    """One page of the cases found (the caller may see); ``total`` counts them all."""
    require_reader(caller)
    term = parse_search(q)
    async with uow:
        await read_snapshot(uow)
        cases = CaseSearch(uow.db)
        if term.kind == "case_number":
            hits = await cases.by_case_number(term.value)
        elif term.kind == "reference":
            hits = await cases.by_reference(term.value)
        else:
            hits = await cases.by_name(keys.name(term.value), keys.kana(term.value))
        found = [c["id"] for c in hits if may_see(caller.role, caller.scope, c["area"])]
        shown = await cases.rows_of(found[window.offset : window.offset + window.limit])
        attention = await QueueRepository(uow.db).attention_of([c["id"] for c in shown])
    for case in shown:
        case["attention"] = attention.get(case["id"], [])
    return {
        "query": term.query,
        "matched_by": term.kind if found else None,
        "items": shown,
        "total": len(found),
        "now": uow.clock.now(),
    }
