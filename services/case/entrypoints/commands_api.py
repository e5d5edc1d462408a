"""Case updates over HTTP. Each carries the version it was based on (stale → 409)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import (
    AreaIn,
    AssignmentIn,
    BulkAssignmentIn,
    BulkAssignmentResult,
    CommandResult,
    ConsentIn,
    ContactIn,
    MemberIn,
    MergeIn,
    NoteIn,
    ReferralIn,
    StatusIn,
    TriageIn,
    VersionIn,
)
from services.case.handlers import assignments, commands, merging, records, referrals
from shared.http.app import correlation_id_of
from shared.identity import CurrentIdentity

router = APIRouter(prefix="/v1/cases/{case_id}", tags=["case work"])
# Commands about several cases at once.
many_router = APIRouter(prefix="/v1/cases", tags=["case work"])


def _ctx(request: Request, services: Services):
    return services.runtime.unit_of_work(), services.reference, correlation_id_of(request)


@router.post("/assignment", response_model=CommandResult, summary="担当を決める・替える")
async def assign(
    case_id: str, body: AssignmentIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    version = await commands.assign(uow, ref, case_id, body.coordinator_id, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@many_router.post(
    "/assignments",
    response_model=BulkAssignmentResult,
    summary="複数のケースの担当をまとめて替える(ケースごとに結果を返す)",
)
async def assign_many(
    body: BulkAssignmentIn, request: Request, services: Services, caller: CurrentIdentity
) -> BulkAssignmentResult:
    wanted = [assignments.Wanted(case_id=i.case_id, version=i.version) for i in body.items]
    result = await assignments.reassign(
        services.runtime.unit_of_work,
        services.reference.live,
        body.coordinator_id,
        wanted,
        caller,
        correlation_id_of(request),
    )
    return BulkAssignmentResult.model_validate(result)


@router.post("/status", response_model=CommandResult, summary="状態を変える(再開は 終結 → 対応中)")
async def change_status(
    case_id: str, body: StatusIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    version = await commands.change_status(uow, case_id, body.to, body.reason, body.version, caller, cid, reference=ref)
    return CommandResult(case_id=case_id, version=version)


@router.post("/triage", response_model=CommandResult, summary="優先度・相談分類を決める")
async def triage(
    case_id: str, body: TriageIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    version = await commands.triage(uow, ref, case_id, body.priority, body.categories, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@router.post("/area", response_model=CommandResult, summary="別の圏域のキューへ回す")
async def move_area(
    case_id: str, body: AreaIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    version = await commands.move_area(uow, ref, case_id, body.area, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@router.post("/consent", response_model=CommandResult, summary="本人同意・法的根拠を記録する")
async def consent(
    case_id: str, body: ConsentIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    version = await commands.record_consent(uow, case_id, body.consent, body.legal_ground, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@router.post("/attention/clear", response_model=CommandResult, summary="辞退された紹介への対応を済にする")
async def clear_attention(
    case_id: str, body: VersionIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    version = await commands.clear_attention(uow, case_id, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@router.post("/contacts", status_code=201, response_model=CommandResult, summary="接触記録を残す")
async def add_contact(
    case_id: str, body: ContactIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    contact_id, version = await records.record_contact(
        uow, case_id, body.contacted_at, body.channel, body.whom, body.outcome, body.version, caller, cid
    )
    return CommandResult(case_id=case_id, version=version, contact_id=contact_id)


@router.post("/notes", status_code=201, response_model=CommandResult, summary="メモを残す")
async def add_note(
    case_id: str, body: NoteIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    note_id, version = await records.add_note(uow, case_id, body.body, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version, note_id=note_id)


@router.post("/household/members", status_code=201, response_model=CommandResult, summary="世帯員を加える")
async def add_member(
    case_id: str, body: MemberIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    member_id, version = await records.add_household_member(
        uow,
        services.match_keys,
        ref.live,
        case_id,
        body.relation,
        body.age_group,
        body.name,
        body.note,
        body.version,
        caller,
        cid,
    )
    return CommandResult(case_id=case_id, version=version, member_id=member_id)


@router.post("/referrals", status_code=201, response_model=CommandResult, summary="関係機関へ紹介する(つなぐ)")
async def request_referral(
    case_id: str, body: ReferralIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    referral_id, version = await referrals.request_referral(
        uow, ref, case_id, body.agency_id, body.purpose, body.share, body.version, caller, cid, body.member_id
    )
    return CommandResult(case_id=case_id, version=version, referral_id=referral_id)


@router.post("/merge", response_model=CommandResult, summary="同じ人・世帯のケースに統合する")
async def merge(
    case_id: str, body: MergeIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, ref, cid = _ctx(request, services)
    version = await merging.merge(uow, case_id, body.into_case_id, body.version, caller, cid, reference=ref)
    return CommandResult(case_id=case_id, version=version)


@router.post("/merge/undo", response_model=CommandResult, summary="統合を取り消す")
async def undo_merge(
    case_id: str, body: VersionIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    version = await merging.undo_merge(uow, case_id, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)


@router.post("/link-offers/{offer_id}/dismiss", response_model=CommandResult, summary="統合候補を退ける(別人・別世帯)")
async def dismiss_offer(
    case_id: str, offer_id: str, body: VersionIn, request: Request, services: Services, caller: CurrentIdentity
) -> CommandResult:
    uow, _, cid = _ctx(request, services)
    version = await merging.dismiss_offer(uow, case_id, offer_id, body.version, caller, cid)
    return CommandResult(case_id=case_id, version=version)
