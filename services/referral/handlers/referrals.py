"""Referral's service layer: one transaction per command, events through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from services.referral.adapters.repository import ReferralFilter, ReferralRepository
from services.referral.domain import referral as domain
from services.referral.domain.access import can_see, party_of, personal_fields_closed
from services.referral.domain.deadlines import response_deadlines
from services.referral.domain.lifecycle import STATUS_LABELS, Action, IllegalMove, ReasonRequired
from services.referral.domain.referral import NotYourMove, Referral, ReferralRequest, StaleVersion
from services.referral.domain.sharing import without_personal_data
from services.referral.handlers.case_events import with_known_case_facts
from services.referral.handlers.publishing import event_for
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events import SYSTEM, Envelope, ReferralRequested, ReferralViewed
from shared.http.paging import Window
from shared.identity import Identity
from shared.logging import get_logger
from shared.reference import ReferenceData

log = get_logger(__name__)

WHAT = "この紹介は見つかりません(または閲覧する権限がありません)。"


# Consuming referral.requested ------------------------------------------------------------


async def on_referral_requested(envelope: Envelope, uow: UnitOfWork, *, reference: ReferenceData) -> None:
    """Put the referral in its agency's inbox — once, however often it is delivered,
    with its deadlines from the follow-up policy of the reference data in use. Runs
    inside the consumer's open transaction (the consumer commits)."""
    request = envelope.payload_as(ReferralRequested)
    repo = ReferralRepository(uow.db)
    if await repo.exists(request.referral_id):
        log.info("referral_already_received", referral_id=request.referral_id)
        return
    agency = reference.agency(request.agency_id)
    now = uow.clock.now()
    ask = await with_known_case_facts(
        repo,
        ReferralRequest(
            id=request.referral_id,
            case_id=request.case_id,
            case_number=request.case_number,
            area=request.area,
            agency_id=request.agency_id,
            purpose=request.purpose,
            urgency=request.urgency,
            offered=request.shared,
            consent=request.consent,
            legal_ground=request.legal_ground,
            requested_at=envelope.occurred_at,
            requested_by=envelope.actor.id,
        ),
        envelope.event_id,
    )
    deadlines = (
        response_deadlines(
            reference.followups,
            envelope.occurred_at,
            agency_kind=agency.kind,
            urgency=request.urgency,
            calendar=agency.calendar,
        )
        if agency
        else None
    )
    referral, transition = domain.arrive(ask, deadlines, now)
    await repo.add(referral, request_event_id=envelope.event_id)
    event = envelope.caused(
        event_for(referral, transition, agency_kind=agency.kind if agency else None),
        aggregate_id=referral.id,
        actor=SYSTEM,
        case_id=referral.case_id,
        occurred_at=now,
    )
    await repo.add_transition(referral.id, transition, SYSTEM, event.event_id)
    uow.publish(event)
    if agency is None:
        log.warning("referral_undeliverable", referral_id=referral.id, agency_id=request.agency_id)
    else:
        log.info(
            "referral_received",
            referral_id=referral.id,
            agency_id=referral.agency_id,
            withheld_fields=list(referral.withheld),
        )


# The moves ---------------------------------------------------------------------------


async def make_move(
    uow: UnitOfWork,
    referral_id: str,
    action: Action,
    caller: Identity,
    *,
    version: int,
    correlation_id: str,
    days_after_completion: int,
    reason: str | None = None,
    note: str | None = None,
) -> ReferralDetail:
    """One move, in one transaction with its event (outbox) and history row. Answers
    the referral as the caller now sees it — which is itself a recorded read."""
    async with uow:
        repo = ReferralRepository(uow.db)
        referral = await _visible(repo, referral_id, caller)
        party = party_of(caller.role, caller.scope, agency_id=referral.agency_id, area=referral.area)
        try:
            moved, transition = domain.move(
                referral, action, party, expected_version=version, at=uow.clock.now(), reason=reason, note=note
            )
        except NotYourMove as exc:
            raise Forbidden(_not_your_move(exc.action), action=action.value) from exc
        except StaleVersion as exc:
            raise _stale(referral) from exc
        except IllegalMove as exc:
            raise Conflict(
                str(exc), current_status=referral.status.value, current_version=referral.version, action=action.value
            ) from exc
        except ReasonRequired as exc:
            raise InvalidInput(str(exc), field="reason") from exc
        if not await repo.save(moved, expected_version=referral.version):
            raise _stale(await repo.get(referral_id) or referral)  # a concurrent move won
        envelope = Envelope.wrap(
            event_for(moved, transition),
            aggregate_id=moved.id,
            actor=caller.actor,
            correlation_id=correlation_id,
            case_id=moved.case_id,
            occurred_at=transition.at,
        )
        await repo.add_transition(moved.id, transition, caller.actor, envelope.event_id)
        uow.publish(envelope)
        detail = await _shown(uow, moved, caller, transition.at, days_after_completion, correlation_id, "move")
        await uow.commit()
    log.info(
        "referral_moved", referral_id=moved.id, action=action.value, status=moved.status.value, version=moved.version
    )
    return detail


def _not_your_move(action: Action) -> str:
    if domain.party_for(action).value == "coordinator":
        return "紹介の取消は、その紹介の圏域の地域福祉コーディネーターのみ行えます。"
    return "この操作は紹介先の機関のみ行えます。"


def _stale(current: Referral) -> Conflict:
    return Conflict(
        f"この紹介は他の操作で更新されています(現在の版: {current.version}、状態: "
        f"「{STATUS_LABELS[current.status]}」)。最新の内容を取得してからやり直してください。",
        current_version=current.version,
        current_status=current.status.value,
    )


# Reads -------------------------------------------------------------------------------


async def _visible(repo: ReferralRepository, referral_id: str, caller: Identity) -> Referral:
    referral = await repo.get(referral_id)
    if referral is None or not can_see(caller.role, caller.scope, agency_id=referral.agency_id, area=referral.area):
        raise NotFound(WHAT)
    return referral


@dataclass(frozen=True)
class ReferralDetail:
    referral: Referral
    history: list[Any]  # every move, with who made it and when
    shown: dict[str, Any]  # the shared fields this caller is shown now
    closed_reason: str | None = None  # why an agency no longer sees the personal fields


async def referral_detail(
    uow: UnitOfWork,
    referral_id: str,
    caller: Identity,
    *,
    days_after_completion: int,
    correlation_id: str,
    view: Literal["detail", "fhir"] = "detail",
) -> ReferralDetail:
    """One referral as the caller may see it; the read itself is recorded (who saw what)."""
    async with uow:
        repo = ReferralRepository(uow.db)
        referral = await _visible(repo, referral_id, caller)
        detail = await _shown(uow, referral, caller, uow.clock.now(), days_after_completion, correlation_id, view)
        await uow.commit()
    return detail


async def _shown(
    uow: UnitOfWork,
    referral: Referral,
    caller: Identity,
    at: Any,
    days_after_completion: int,
    correlation_id: str,
    view: Literal["detail", "fhir", "move"],
) -> ReferralDetail:
    """What this caller is shown of the referral; the read is recorded here and told to
    the case service (``referral.viewed``, through the outbox in the same transaction)."""
    repo = ReferralRepository(uow.db)
    closed = None
    shown = dict(referral.shared)
    if caller.role == "agency":
        closed = personal_fields_closed(referral.status, referral.closed_at, at, days_after_completion)
        if closed:
            shown = dict(without_personal_data(referral.shared, referral.withheld).fields)
    # The record of who saw what names only the fields this read showed.
    await repo.record_read(referral.id, caller.actor, sorted(shown), at)
    viewed = ReferralViewed(
        referral_id=referral.id,
        case_id=referral.case_id,
        agency_id=referral.agency_id,
        view=view,
        fields_shown=sorted(shown),
    )
    uow.publish(
        Envelope.wrap(
            viewed,
            aggregate_id=referral.id,
            actor=caller.actor,
            correlation_id=correlation_id,
            case_id=referral.case_id,
            occurred_at=at,
        )
    )
    return ReferralDetail(referral=referral, history=await repo.history(referral.id), shown=shown, closed_reason=closed)


def scoped_filter(
    caller: Identity,
    *,
    statuses: list[str] | None,
    agency_id: str | None,
    area: str | None,
    case_id: str | None,
    overdue_at: Any,
    limit: int,
    offset: int,
    by_deadline: bool = False,
) -> ReferralFilter:
    """The caller's own slice: an agency its inbox, a coordinator their area."""
    if caller.role == "agency":
        agency_id, area = caller.scope, None
    elif caller.role == "coordinator":
        area = caller.scope
    elif caller.role != "supervisor":
        raise Forbidden("紹介の一覧は、機関・地域福祉コーディネーター・管理者のみ閲覧できます。")
    return ReferralFilter(
        agency_id=agency_id,
        area=area,
        statuses=statuses,
        case_id=case_id,
        overdue_at=overdue_at,
        limit=limit,
        offset=offset,
        by_deadline=by_deadline,
    )


async def disclosures(
    uow: UnitOfWork, caller: Identity, window: Window, *, case_id: str | None, agency_id: str | None
) -> tuple[list[Any], int, list[Any]]:
    """For a case or an agency: which agency (or staff) saw which shared fields, and
    when (a page of them, and how many in all); and each referral's share decision
    (fields shared, the ground, fields held back). For supervisors, and for the
    coordinators of the referrals' area (they see their area's referrals only)."""
    if caller.role not in ("supervisor", "coordinator"):
        raise Forbidden("開示の記録は、地域福祉コーディネーターと管理者のみ閲覧できます。")
    if case_id is None and agency_id is None:
        raise InvalidInput("case_id か agency_id を指定してください。", field="case_id")
    area = caller.scope if caller.role == "coordinator" else None
    async with uow:
        repo = ReferralRepository(uow.db)
        reads, total = await repo.reads_of(
            case_id=case_id, agency_id=agency_id, area=area, offset=window.offset, limit=window.limit
        )
        decisions = await repo.share_decisions(case_id=case_id, agency_id=agency_id, area=area)
    return reads, total, decisions


async def list_referrals(uow: UnitOfWork, criteria: ReferralFilter) -> tuple[list[Referral], int]:
    async with uow:
        return await ReferralRepository(uow.db).find(criteria)
