"""Every read of a case, by every role: recorded in the read's own transaction; a
referral's reads arrive as ``referral.viewed``. Supervisors ask it both ways — who read
this case, and what this person read; a case's coordinators see who read their case."""

from __future__ import annotations

from typing import Any

from services.case.adapters.reads import ReadLog, ReadOrder
from services.case.handlers.common import load_visible, read_snapshot, require_reader
from shared.clock import as_utc, jst_text
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden
from shared.events import Envelope, ReferralViewed
from shared.http.paging import Window
from shared.identity import Identity


async def record_read(uow: UnitOfWork, case_id: str, caller: Identity, what: str) -> None:
    """Inside the read's unit of work: the row commits with the read, or neither happens."""
    await ReadLog(uow.db).record(case_id, caller.role, caller.subject, what, uow.clock.now())
    await uow.commit()


async def on_referrals_viewed(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """``referral.viewed``: the read goes into the case's read log, in one executemany."""
    rows = []
    for envelope in envelopes:
        viewed = envelope.payload_as(ReferralViewed)
        rows.append(
            dict(
                case_id=viewed.case_id,
                reader_role=envelope.actor.role,
                reader_id=envelope.actor.id,
                what=f"referral.{viewed.view}",
                read_at=as_utc(envelope.occurred_at),
                referral_id=viewed.referral_id,
            )
        )
    await ReadLog(uow.db).record_many(rows)


async def reads_of_case(
    uow: UnitOfWork, case_id: str, caller: Identity, window: Window, order: ReadOrder = "oldest"
) -> tuple[list[Any], int]:
    """Who read the case (not itself recorded): its coordinators and supervisors."""
    require_reader(caller)
    async with uow:
        await read_snapshot(uow)  # the page and its total count the same reads
        await load_visible(uow, case_id, caller)
        return await ReadLog(uow.db).of_case(case_id, window.offset, window.limit, order)


async def reads_of_person(
    uow: UnitOfWork, reader_id: str, caller: Identity, window: Window, order: ReadOrder = "oldest"
) -> tuple[list[Any], int]:
    """What one person read, across every case: supervisors only."""
    if caller.role != "supervisor":
        raise Forbidden("人ごとの閲覧記録は監督者のみ閲覧できます。")
    async with uow:
        await read_snapshot(uow)
        return await ReadLog(uow.db).of_reader(reader_id, window.offset, window.limit, order)


def shaped(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": row["case_id"],
        "referral_id": row["referral_id"],
        "reader_role": row["reader_role"],
        "reader_id": row["reader_id"],
        "what": row["what"],
        "read_at": as_utc(row["read_at"]).isoformat(),
        "read_at_jst": jst_text(row["read_at"]),
    }
