"""The timeline, its checkpoints and the read log are append-only: triggers made by the
migrations refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) — grants alone would
not hold, as migrations and the service may share one database role.

Retention's erasure is the one exception, for the rows of the cases it erases in the
timeline and the read log (never the checkpoints). ``erasure`` opens it for the rest of
the caller's transaction: on PostgreSQL the transaction-local setting
``tsunagi.erasure`` holds those case ids (gone at commit or rollback); on SQLite they
are rows of ``erasing_cases``, removed again before the block ends — inside the single
writer's transaction, so no other writer ever sees them. Only retention's code path
calls it, and every opening is logged."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import delete, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import erasing_cases
from shared.logging import get_logger

log = get_logger(__name__)

_PG_SET = text("SELECT set_config('tsunagi.erasure', :case_ids, true)")


@contextlib.asynccontextmanager
async def erasure(db: AsyncConnection, *, reason: str, case_ids: list[str]) -> AsyncIterator[None]:
    """Inside the block (in ``db``'s open transaction) the timeline's and the read log's
    rows of ``case_ids`` may be changed or removed; ``reason`` names the retention run."""
    postgres = db.dialect.name == "postgresql"
    log.warning("append_only_erasure_opened", reason=reason, cases=len(case_ids), case_ids=case_ids[:50])
    if postgres:
        await db.execute(_PG_SET, {"case_ids": ",".join(case_ids)})
    elif case_ids:
        await db.execute(insert(erasing_cases), [{"case_id": c} for c in case_ids])
    try:
        yield
    finally:
        # After a database error the transaction is lost anyway, and the opening with it.
        with contextlib.suppress(DBAPIError):
            if postgres:
                await db.execute(_PG_SET, {"case_ids": ""})
            else:
                await db.execute(delete(erasing_cases))
        log.warning("append_only_erasure_closed", reason=reason, cases=len(case_ids))
