"""Supervisor approvals (監督者の承認) over HTTP: a coordinator's request from the case,
the supervisor's queue, a request with its reasons, approving / refusing, withdrawing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.case.domain import approvals as rules
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import _Command
from services.case.handlers import approval_decisions as decisions
from services.case.handlers import approvals
from shared.clock import as_utc, jst_text
from shared.errors import InvalidInput
from shared.events.approvals import ApprovalMove
from shared.http.app import correlation_id_of
from shared.http.paging import Page, Window, page_of, paging
from shared.http.text import Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText

case_router = APIRouter(prefix="/v1/cases/{case_id}/approvals", tags=["監督者の承認"])
router = APIRouter(prefix="/v1/approvals", tags=["監督者の承認"])


class RequestIn(_Command):
    move: ApprovalMove = Field(
        description="share_without_consent(同意なしの共有) / close_with_open_work(未完了のまま終結) / "
        "reopen_after_long(長期間後の再開) / merge_across_areas(圏域をまたぐ統合)"
    )
    reason: FreeText = Field(min_length=1, max_length=1000, description="承認を求める理由")
    agency_id: Text | None = Field(None, min_length=1, max_length=64, description="紹介先(共有のとき)")
    purpose: FreeText | None = Field(None, max_length=1000, description="紹介の目的(共有のとき)")
    share: list[Text] = Field(default_factory=list, max_length=20, description="共有する項目(共有のとき)")
    into_case_id: Text | None = Field(None, min_length=1, max_length=26, description="統合先のケース(統合のとき)")
    status_reason: FreeText | None = Field(None, max_length=500, description="終結・再開の理由(任意)")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "refuse"] = Field(description="approve(承認)/ refuse(却下)")
    reason: FreeText = Field(min_length=1, max_length=1000, description="判断の理由")


class RequestResult(BaseModel):
    case_id: str
    version: int
    approval_id: str


class QueueItem(BaseModel):
    id: str
    case_id: str
    case_number: str | None
    area: str
    kind: str
    kind_label: str
    move: str
    move_label: str
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime
    requested_at_jst: str
    decide_by: datetime
    decide_by_jst: str
    overdue: bool = Field(description="判断の期限を過ぎて待っている")


class Approval(QueueItem):
    reason: str
    params: dict[str, Any] = Field(description="操作の内容(紹介先・共有項目・統合先など)")
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    carried_out_at: datetime | None
    outcome: str | None = Field(description="実行で作られたもの(紹介 id など)、または実行できなかった理由")


def _item(row: dict[str, Any], case_number: str | None, now: datetime) -> dict[str, Any]:
    decide_by = as_utc(row["decide_by"])
    return {
        **{k: row[k] for k in ("id", "case_id", "area", "kind", "move", "status", "requested_by")},
        "case_number": case_number,
        "kind_label": rules.KIND_LABELS.get(row["kind"], row["kind"]),
        "move_label": rules.MOVE_LABELS.get(row["move"], row["move"]),
        "status_label": rules.status_label(row["kind"], row["status"]),
        "requested_at": as_utc(row["requested_at"]),
        "requested_at_jst": jst_text(row["requested_at"]),
        "decide_by": decide_by,
        "decide_by_jst": jst_text(decide_by),
        "overdue": row["status"] == rules.PENDING and now > decide_by,
    }


def _approval(row: dict[str, Any], case_number: str | None, now: datetime) -> Approval:
    at = row["decided_at"]
    done = row["carried_out_at"]
    return Approval(
        **_item(row, case_number, now),
        reason=row["reason"],
        params=row["params"],
        decided_by=row["decided_by"],
        decided_at=as_utc(at) if at else None,
        decision_reason=row["decision_reason"],
        carried_out_at=as_utc(done) if done else None,
        outcome=row["outcome"],
    )


def _statuses(raw: str | None) -> list[str]:
    if raw is None:
        return []
    chosen = [s for s in raw.split(",") if s]
    unknown = [s for s in chosen if s not in rules.STATUSES]
    if unknown:
        raise InvalidInput(f"状態 {unknown} はありません(使える値: {', '.join(rules.STATUSES)})。", field="status")
    return chosen


@case_router.post("", status_code=201, response_model=RequestResult, summary="監督者に承認を依頼する")
async def request_approval(
    case_id: str, body: RequestIn, request: Request, services: Services, caller: CurrentIdentity
) -> RequestResult:
    move = approvals.MoveIn(
        move=body.move,
        agency_id=body.agency_id,
        purpose=body.purpose,
        share=tuple(body.share),
        into_case_id=body.into_case_id,
        status_reason=body.status_reason,
    )
    approval_id, version = await approvals.request(
        services.runtime.unit_of_work(),
        services.reference.live,
        case_id,
        move,
        body.reason,
        body.version,
        caller,
        correlation_id_of(request),
    )
    return RequestResult(case_id=case_id, version=version, approval_id=approval_id)


@case_router.get("", response_model=list[Approval], summary="このケースの承認依頼(閲覧は記録されます)")
async def case_approvals(case_id: str, services: Services, caller: CurrentIdentity) -> list[Approval]:
    uow = services.runtime.unit_of_work()
    rows = await decisions.of_case(uow, case_id, caller)
    now = uow.clock.now()
    return [_approval(r, None, now) for r in rows]


@router.get("", response_model=Page[QueueItem], summary="承認の待ち行列(監督者: 全圏域、コーディネーター: 自分の圏域)")
async def approval_queue(
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
    status: Annotated[
        str | None, Query(max_length=80, description="状態(カンマ区切り。例: pending)。省略時はすべて")
    ] = None,
) -> Page[QueueItem]:
    rows, total, numbers, now = await decisions.queue(
        services.runtime.unit_of_work(), caller, _statuses(status), window.offset, window.limit
    )
    items = [QueueItem(**_item(r, numbers.get(r["case_id"], (None, ""))[0], now)) for r in rows]
    return Page[QueueItem](**page_of(window, items, total))


@router.get("/{approval_id}", response_model=Approval, summary="承認依頼と理由(閲覧は記録されます)")
async def get_approval(approval_id: str, services: Services, caller: CurrentIdentity) -> Approval:
    uow = services.runtime.unit_of_work()
    row, case = await decisions.read(uow, approval_id, caller)
    return _approval(row, case["case_number"], uow.clock.now())


@router.post("/{approval_id}/decision", response_model=Approval, summary="承認する・却下する(監督者)")
async def decide(
    approval_id: str, body: DecisionIn, request: Request, services: Services, caller: CurrentIdentity
) -> Approval:
    uow = services.runtime.unit_of_work()
    row = await decisions.decide(
        uow, services.reference.live, approval_id, body.decision, body.reason, caller, correlation_id_of(request)
    )
    return _approval(row, None, uow.clock.now())


@router.post("/{approval_id}/withdraw", response_model=Approval, summary="承認依頼を取り下げる(依頼した本人)")
async def withdraw(approval_id: str, request: Request, services: Services, caller: CurrentIdentity) -> Approval:
    uow = services.runtime.unit_of_work()
    row = await decisions.withdraw(uow, approval_id, caller, correlation_id_of(request))
    return _approval(row, None, uow.clock.now())
