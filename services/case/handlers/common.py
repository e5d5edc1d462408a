"""What every case command shares: who may do it, loading a visible case, the version
check, and one place where a change, its events and its timeline entries meet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.case.adapters.chain import add_to_timeline, case_changed
from services.case.adapters.records import ReferralRepository
from services.case.adapters.repository import CaseRepository
from services.case.domain import moves
from services.case.domain.queue import may_see
from services.case.domain.status import reporter_stage
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden, NotFound, StaleVersion
from shared.events import Actor, CaseStageChanged, Envelope, EventPayload
from shared.identity import Identity


def require_reader(caller: Identity) -> None:
    if caller.role not in ("coordinator", "supervisor"):
        raise Forbidden(f"ケースはコーディネーターと監督者のみ閲覧できます(あなたのロール: {caller.role})。")


def require_writer(caller: Identity) -> None:
    if caller.role == "supervisor":
        raise Forbidden("監督者はケースを閲覧のみできます(更新はコーディネーターが行います)。")
    if caller.role != "coordinator":
        raise Forbidden(f"ケースの更新はコーディネーターのみ行えます(あなたのロール: {caller.role})。")


async def read_snapshot(uow: UnitOfWork) -> None:
    """Reads of several tables see one consistent state (PostgreSQL otherwise gives each
    statement its own snapshot; SQLite's transactions already are one). Call first."""
    if uow.db.dialect.name == "postgresql":
        await uow.db.execution_options(isolation_level="REPEATABLE READ")


async def load_visible(uow: UnitOfWork, case_id: str, caller: Identity, *, for_update: bool = False) -> dict[str, Any]:
    """The case, if the caller may see it; to anyone else it does not exist (404)."""
    case = await CaseRepository(uow.db).get(case_id, for_update=for_update)
    if case is None or not may_see(caller.role, caller.scope, case["area"]):
        raise NotFound("このケースは見つかりません(または閲覧権限がありません)。")
    return case


def check_version(case: dict[str, Any], version: int) -> None:
    if version != case["version"]:
        raise StaleVersion(
            f"このケースは更新されています(あなたが見た版: {version}、現在の版: {case['version']})。"
            "最新の内容を読み直してから操作してください。",
            current_version=case["version"],
        )


def check_workable(case: dict[str, Any], *, allow_closed: bool = False) -> None:
    moves.check_workable(moves.CaseState.of(case), allow_closed=allow_closed)


async def family_ids(uow: UnitOfWork, case_id: str) -> list[str]:
    """The case and every case currently merged into it."""
    return [case_id, *await CaseRepository(uow.db).merged_children(case_id)]


async def record(uow: UnitOfWork, envelope: Envelope, case_id: str) -> None:
    """Publish through the outbox and put the event on the case's timeline, together."""
    uow.publish(envelope)
    add_to_timeline(uow, (envelope, case_id))


class CaseUpdate:
    """Changes to one case and the events they cause, saved with the version guard.
    The reporter-visible stage is derived here, in one place."""

    def __init__(
        self, uow: UnitOfWork, case: dict[str, Any], *, actor: Actor, correlation_id: str, cause: Envelope | None = None
    ) -> None:
        self.uow = uow
        self.case = case
        self.actor = actor
        self.correlation_id = cause.correlation_id if cause else correlation_id
        self.cause = cause
        self.changes: dict[str, Any] = {}
        self.events: list[tuple[EventPayload, str]] = []
        self.touched = False

    def set(self, **values: Any) -> None:
        self.changes.update(values)

    def touch(self) -> None:
        """Bump the version though no column of the case changed (its referrals did)."""
        self.touched = True

    def emit(self, payload: EventPayload, aggregate_id: str | None = None) -> None:
        self.events.append((payload, aggregate_id or self.case["id"]))

    def envelope(self, payload: EventPayload, aggregate_id: str) -> Envelope:
        now = self.uow.clock.now()
        if self.cause is not None:
            return self.cause.caused(
                payload, aggregate_id=aggregate_id, actor=self.actor, case_id=self.case["id"], occurred_at=now
            )
        return Envelope.wrap(
            payload,
            aggregate_id=aggregate_id,
            actor=self.actor,
            correlation_id=self.correlation_id,
            case_id=self.case["id"],
            occurred_at=now,
        )

    async def save(self, *, referrals: Sequence[dict[str, Any]] | None = None) -> int:
        """``referrals``: the family's referrals, when the caller has just read them (else read here)."""
        status = self.changes.get("status", self.case["status"])
        if referrals is None:
            referrals = await ReferralRepository(self.uow.db).of_cases(await family_ids(self.uow, self.case["id"]))
        stage = reporter_stage(status, any(r["accepted_at"] is not None for r in referrals))
        if stage != self.case["stage"]:
            self.set(stage=stage)
            self.emit(CaseStageChanged(case_id=self.case["id"], stage=stage))
        if self.changes or self.touched or self.events:
            await CaseRepository(self.uow.db).save(self.case, self.changes, self.uow.clock.now())
            case_changed(self.uow, self.case["id"])
        for payload, aggregate_id in self.events:
            await record(self.uow, self.envelope(payload, aggregate_id), self.case["id"])
        return self.case["version"]
