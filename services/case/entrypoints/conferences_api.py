"""Case conferences (ケース会議・地区推進会議・支援会議) over HTTP: plan, hold, record the
minutes, share a case with the participants, set and close tasks; the list and the
minutes (every read of the minutes is recorded)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.case.domain import conferences as rules
from services.case.entrypoints.conference_views import Disclosure, DiscussedCase, Minutes, Summary, Task
from services.case.entrypoints.dependencies import Services
from services.case.handlers import conference_reads as reads
from services.case.handlers import conference_shares as shares
from services.case.handlers import conference_tasks
from services.case.handlers import conferences as handlers
from shared.clock import as_utc
from shared.events.conference import ConferenceKindName, TaskOwnerKind
from shared.events.referral import SHAREABLE_LABELS, ShareableField
from shared.http.app import correlation_id_of
from shared.http.paging import Page, Window, page_of, paging
from shared.http.text import Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText

router = APIRouter(prefix="/v1/conferences", tags=["会議"])
MAX_VERSION = 2**31 - 1
Id = Annotated[Text, Field(min_length=1, max_length=64)]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=MAX_VERSION, description="操作の基にした会議の版 (古ければ 409)")


class PlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ConferenceKindName
    title: FreeText = Field(min_length=1, max_length=200, description="会議の名前(例: 〇〇地区 ケース会議)")
    held_on: date = Field(description="開催日(日本時間の日付。1年先まで)")
    case_ids: list[Id] = Field(min_length=1, max_length=rules.MAX_CASES, description="話し合うケースの id")
    accounts: list[Id] = Field(
        default_factory=list, max_length=rules.MAX_PARTICIPANTS, description="参加者のアカウント id"
    )
    agencies: list[Id] = Field(
        default_factory=list, max_length=rules.MAX_PARTICIPANTS, description="参加する関係機関の id"
    )


class HeldBody(_Command):
    held_on: date | None = Field(None, description="開催した日(省略時は予定日。未来は不可)")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_id: Id
    decision: FreeText = Field(min_length=1, max_length=2000, description="このケースについて決まったこと")


class MinutesBody(_Command):
    decisions: list[Decision] = Field(min_length=1, max_length=rules.MAX_CASES)


class ShareBody(_Command):
    case_id: Id
    fields: list[ShareableField] = Field(min_length=1, max_length=8, description="参加者に共有する項目")
    member_id: Id | None = Field(
        None, description="1人の世帯員についての共有(その世帯員自身の同意で判断・記録。省略時はケースの本人)"
    )


class TaskBody(_Command):
    case_id: Id
    title: FreeText = Field(min_length=1, max_length=500, description="役割(誰が何をするか)")
    owner_kind: TaskOwnerKind = Field(description="coordinator / helper(アカウント) / agency(関係機関)")
    owner_id: Id
    due_on: date = Field(description="期限(この日の終わりまで。日本時間)")


class ConferenceResult(BaseModel):
    conference_id: str
    version: int
    task_id: str | None = None


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("id", "kind", "title", "held_on", "status", "version")},
        "status_label": rules.STATUS_LABELS.get(row["status"], row["status"]),
    }


@router.get("", response_model=Page[Summary], summary="会議の一覧(参加・担当・監督者)")
async def list_conferences(
    services: Services, caller: CurrentIdentity, window: Annotated[Window, Depends(paging(default=50, maximum=100))]
) -> dict[str, object]:
    rows, total = await reads.conferences_of(services.runtime.unit_of_work(), caller, window)
    return page_of(window, [Summary(**_summary(r)) for r in rows], total)


@router.post("", status_code=201, response_model=ConferenceResult, summary="会議を予定する")
async def plan_conference(
    body: PlanBody, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    given = handlers.PlanIn(
        kind=body.kind,
        title=body.title,
        held_on=body.held_on,
        case_ids=list(body.case_ids),
        accounts=list(body.accounts),
        agencies=list(body.agencies),
    )
    conference_id, version = await handlers.plan(
        services.runtime.unit_of_work(),
        services.reference.live,
        services.runtime.access,
        given,
        caller,
        correlation_id_of(request),
    )
    return ConferenceResult(conference_id=conference_id, version=version)


@router.get("/{conference_id}", response_model=Minutes, summary="会議の記録(閲覧は記録されます)")
async def get_minutes(conference_id: str, services: Services, caller: CurrentIdentity) -> Minutes:
    found = await reads.minutes(services.runtime.unit_of_work(), conference_id, caller)
    meeting = found["meeting"]
    agency = caller.role == "agency"
    return Minutes(
        **_summary(meeting.row),
        accounts=meeting.accounts,
        agencies=meeting.agencies,
        cases=[
            DiscussedCase(
                case_id=c["case_id"],
                case_number=c["case_number"],
                area=c["area"],
                decision=c["decision"],
                decided_at=as_utc(c["decided_at"]) if c["decided_at"] else None,
                shared=c.get("shared") if agency else None,
                members_shared=c.get("members_shared") if agency else None,
                members=c.get("members"),
            )
            for c in found["cases"]
        ],
        disclosures=[
            Disclosure(
                **{
                    k: d[k]
                    for k in (
                        "case_id",
                        "member_id",
                        "member_relation",
                        "field",
                        "legal_ground",
                        "consent",
                        "shared_by",
                    )
                },
                field_label=SHAREABLE_LABELS.get(d["field"], d["field"]),
                shared_at=as_utc(d["shared_at"]),
            )
            for d in found["disclosures"]
        ],
        tasks=[
            Task(
                **{k: t[k] for k in ("id", "case_id", "title", "owner_kind", "owner_id", "due_on", "status")},
                status_label=rules.TASK_LABELS.get(t["status"], t["status"]),
                closed_at=as_utc(t["closed_at"]) if t["closed_at"] else None,
            )
            for t in found["tasks"]
        ],
        may_write=found["may_write"],
    )


@router.post("/{conference_id}/held", response_model=ConferenceResult, summary="開催したことを記録する")
async def hold_conference(
    conference_id: str, body: HeldBody, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    uow = services.runtime.unit_of_work()
    version = await handlers.hold(uow, conference_id, body.held_on, body.version, caller, correlation_id_of(request))
    return ConferenceResult(conference_id=conference_id, version=version)


@router.post("/{conference_id}/cancel", response_model=ConferenceResult, summary="予定の会議を中止する")
async def cancel_conference(
    conference_id: str, body: _Command, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    uow = services.runtime.unit_of_work()
    version = await handlers.cancel(uow, conference_id, body.version, caller, correlation_id_of(request))
    return ConferenceResult(conference_id=conference_id, version=version)


@router.post("/{conference_id}/minutes", response_model=ConferenceResult, summary="決まったことを記録する(ケースごと)")
async def record_minutes(
    conference_id: str, body: MinutesBody, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    decisions = {d.case_id: d.decision for d in body.decisions}
    uow = services.runtime.unit_of_work()
    version = await handlers.record_minutes(
        uow, conference_id, decisions, body.version, caller, correlation_id_of(request)
    )
    return ConferenceResult(conference_id=conference_id, version=version)


@router.post("/{conference_id}/shares", response_model=ConferenceResult, summary="ケースの情報を参加者に共有する")
async def share_case(
    conference_id: str, body: ShareBody, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    uow = services.runtime.unit_of_work()
    version = await shares.share(
        uow,
        conference_id,
        body.case_id,
        list(body.fields),
        body.version,
        caller,
        correlation_id_of(request),
        member_id=body.member_id,
    )
    return ConferenceResult(conference_id=conference_id, version=version)


@router.post("/{conference_id}/tasks", status_code=201, response_model=ConferenceResult, summary="役割を決める")
async def add_task(
    conference_id: str, body: TaskBody, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    task = conference_tasks.TaskIn(
        case_id=body.case_id, title=body.title, owner_kind=body.owner_kind, owner_id=body.owner_id, due_on=body.due_on
    )
    uow = services.runtime.unit_of_work()
    task_id, version = await conference_tasks.add_task(
        uow, services.reference.live, conference_id, task, body.version, caller, correlation_id_of(request)
    )
    return ConferenceResult(conference_id=conference_id, version=version, task_id=task_id)


async def _close(
    conference_id: str, task_id: str, outcome: str, body: _Command, request: Request, services: Services, caller: Any
) -> ConferenceResult:
    uow = services.runtime.unit_of_work()
    version = await conference_tasks.close_task(
        uow, conference_id, task_id, outcome, body.version, caller, correlation_id_of(request)
    )
    return ConferenceResult(conference_id=conference_id, version=version, task_id=task_id)


@router.post("/{conference_id}/tasks/{task_id}/done", response_model=ConferenceResult, summary="役割を完了にする")
async def task_done(
    conference_id: str, task_id: str, body: _Command, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    return await _close(conference_id, task_id, rules.DONE, body, request, services, caller)


@router.post("/{conference_id}/tasks/{task_id}/cancel", response_model=ConferenceResult, summary="役割を取り消す")
async def task_cancel(
    conference_id: str, task_id: str, body: _Command, request: Request, services: Services, caller: CurrentIdentity
) -> ConferenceResult:
    return await _close(conference_id, task_id, rules.TASK_CANCELLED, body, request, services, caller)
