"""Community helpers over HTTP: the coordinator gives and withdraws tasks on a case and
reads them; the helper's own desk (their tasks, one task's shared fields, its moves and
check-ins); the registry of helpers by area and its counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.case.domain.helper_tasks import STATUS_LABELS, TASK_NEEDS
from services.case.entrypoints.activities_api import TaskActivityBody, TaskActivityResult
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import CommandResult, _Command
from services.case.handlers import activities, helper_reads, helper_tasks
from shared.clock import as_utc, jst_text
from shared.events.helper import HelperTaskKind
from shared.events.referral import SHAREABLE_LABELS, ShareableField
from shared.events.watch import CheckInKind, CheckInOutcome
from shared.http.app import correlation_id_of
from shared.http.text import Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText, RecordedTime

router = APIRouter(tags=["地域の支援者"])


class TaskBody(_Command):
    helper_id: Text = Field(min_length=1, max_length=64, description="支援者のアカウント id(ケースの圏域の支援者)")
    kind: HelperTaskKind = Field(description="見守り / 同行 / 声かけ")
    instructions: FreeText = Field(min_length=1, max_length=1000, description="お願いすること")
    share: list[ShareableField] = Field(
        default_factory=list,
        max_length=8,
        description="支援者に見せる項目(依頼の種類に必要なものだけ。個人に関わる項目は同意か法的根拠が必要)",
    )
    due_on: date | None = Field(None, description="期限(日本時間の日付。今日から180日まで。省略可)")


class CancelBody(_Command):
    reason: FreeText | None = Field(None, max_length=500, description="取り消す理由(任意)")


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: FreeText | None = Field(None, max_length=500, description="辞退の理由(辞退のときは必須)・完了のひとこと")


class CheckInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checked_at: RecordedTime | None = Field(None, description="確認した日時(省略時は現在。依頼より前・未来は不可)")
    kind: CheckInKind
    outcome: CheckInOutcome
    note: FreeText | None = Field(None, max_length=500, description="ひとこと(任意)")


class TaskResult(CommandResult):
    task_id: str


class HelperMoveResult(BaseModel):
    task_id: str
    status: str
    checkin_id: str | None = None


class CheckIn(BaseModel):
    id: str
    kind: str
    outcome: str
    note: str | None
    checked_at: datetime
    checked_at_jst: str
    recorded_by: str


class Task(BaseModel):
    id: str
    case_id: str
    helper_id: str
    area: str
    kind: str
    status: str
    status_label: str
    due_on: date | None
    shared_fields: list[str]
    assigned_at: datetime
    assigned_at_jst: str
    last_checkin_at: datetime | None
    instructions: str | None = Field(None, description="お願いすること(一覧には含みません)")
    reason: str | None = None
    note: str | None = None


class CaseTasks(BaseModel):
    case_id: str
    version: int
    items: list[Task]
    checkins: dict[str, list[CheckIn]] = Field(description="依頼ごとの最近の確認(新しい順)")
    kinds: dict[str, list[str]] = Field(description="依頼の種類ごとに共有できる項目")


class MyTasks(BaseModel):
    items: list[Task]


class MyTask(BaseModel):
    task: Task
    shared: dict[str, Any] = Field(description="共有された項目の値(同意の状態により個人に関わる項目は見えなくなります)")
    labels: dict[str, str]
    checkins: list[CheckIn]


class Helper(BaseModel):
    account_id: str
    area: str
    kind: str | None
    disabled: bool
    open_tasks: int


class Helpers(BaseModel):
    items: list[Helper]


class HelperCounts(BaseModel):
    by_area: dict[str, dict[str, int]] = Field(description="圏域 → 区分 → 登録者数(利用停止を除く)")
    total: int


def _task(row: dict[str, Any], *, full: bool) -> Task:
    return Task(
        **{k: row[k] for k in ("id", "case_id", "helper_id", "area", "kind", "status", "due_on", "shared_fields")},
        status_label=STATUS_LABELS.get(row["status"], row["status"]),
        assigned_at=as_utc(row["assigned_at"]),
        assigned_at_jst=jst_text(row["assigned_at"]),
        last_checkin_at=as_utc(row["last_checkin_at"]) if row["last_checkin_at"] else None,
        **({k: row[k] for k in ("instructions", "reason", "note")} if full else {}),
    )


def _checkin(row: dict[str, Any]) -> CheckIn:
    return CheckIn(
        **{k: row[k] for k in ("id", "kind", "outcome", "note", "recorded_by")},
        checked_at=as_utc(row["checked_at"]),
        checked_at_jst=jst_text(row["checked_at"]),
    )


@router.get(
    "/v1/cases/{case_id}/helper-tasks", response_model=CaseTasks, summary="ケースの支援者への依頼(閲覧は記録されます)"
)
async def case_tasks(case_id: str, services: Services, caller: CurrentIdentity) -> CaseTasks:
    found = await helper_reads.tasks_of_case(services.runtime.unit_of_work(), case_id, caller)
    return CaseTasks(
        case_id=case_id,
        version=found["case"]["version"],
        items=[_task(t, full=True) for t in found["tasks"]],
        checkins={t: [_checkin(c) for c in rows] for t, rows in found["checkins"].items()},
        kinds={k: list(v) for k, v in TASK_NEEDS.items()},
    )


@router.post(
    "/v1/cases/{case_id}/helper-tasks", status_code=201, response_model=TaskResult, summary="地域の支援者に依頼する"
)
async def give_task(
    case_id: str, body: TaskBody, request: Request, services: Services, caller: CurrentIdentity
) -> TaskResult:
    task = helper_tasks.TaskIn(body.helper_id, body.kind, body.instructions, list(body.share), body.due_on)
    task_id, version = await helper_tasks.assign(
        services.runtime.unit_of_work(), case_id, task, body.version, caller, correlation_id_of(request)
    )
    return TaskResult(case_id=case_id, version=version, task_id=task_id)


@router.post(
    "/v1/cases/{case_id}/helper-tasks/{task_id}/cancel", response_model=TaskResult, summary="支援者への依頼を取り消す"
)
async def cancel_task(
    case_id: str, task_id: str, body: CancelBody, request: Request, services: Services, caller: CurrentIdentity
) -> TaskResult:
    version = await helper_tasks.cancel(
        services.runtime.unit_of_work(), case_id, task_id, body.reason, body.version, caller, correlation_id_of(request)
    )
    return TaskResult(case_id=case_id, version=version, task_id=task_id)


@router.get("/v1/helper/tasks", response_model=MyTasks, summary="わたしへの依頼(地域の支援者)")
async def my_tasks(services: Services, caller: CurrentIdentity, open: bool = False) -> MyTasks:
    rows = await helper_reads.my_tasks(services.runtime.unit_of_work(), caller, open_only=open)
    return MyTasks(items=[_task(r, full=False) for r in rows])


@router.get(
    "/v1/helper/tasks/{task_id}", response_model=MyTask, summary="依頼の内容と共有された項目(閲覧は記録されます)"
)
async def my_task(task_id: str, services: Services, caller: CurrentIdentity) -> MyTask:
    found = await helper_reads.my_task(services.runtime.unit_of_work(), task_id, caller)
    return MyTask(
        task=_task(found["task"], full=True),
        shared=found["shared"],
        labels={f: SHAREABLE_LABELS[f] for f in found["shared"]},
        checkins=[_checkin(c) for c in found["checkins"]],
    )


@router.post(
    "/v1/helper/tasks/{task_id}/checkins",
    status_code=201,
    response_model=HelperMoveResult,
    summary="依頼の確認を記録する",
)
async def add_checkin(
    task_id: str, body: CheckInBody, request: Request, services: Services, caller: CurrentIdentity
) -> HelperMoveResult:
    checkin_id = await helper_tasks.check_in(
        services.runtime.unit_of_work(),
        task_id,
        body.checked_at,
        body.kind,
        body.outcome,
        body.note,
        caller,
        correlation_id_of(request),
    )
    return HelperMoveResult(task_id=task_id, status="accepted", checkin_id=checkin_id)


# Declared before /{action}, which would otherwise take "activities" for a move.
@router.post(
    "/v1/helper/tasks/{task_id}/activities",
    status_code=201,
    response_model=TaskActivityResult,
    summary="依頼で行った活動(同行・訪問など)を記録する(ケースの活動として数えます)",
)
async def add_activity(
    task_id: str, body: TaskActivityBody, request: Request, services: Services, caller: CurrentIdentity
) -> TaskActivityResult:
    activity_id = await activities.record_on_task(
        services.runtime.unit_of_work(),
        services.reference.live,
        task_id,
        body.activity(),
        caller,
        correlation_id_of(request),
    )
    return TaskActivityResult(task_id=task_id, activity_id=activity_id)


@router.post(
    "/v1/helper/tasks/{task_id}/{action}",
    response_model=HelperMoveResult,
    summary="依頼を引き受ける(accept)・辞退する(decline、理由が必要)・完了にする(done)",
)
async def move_task(
    task_id: str,
    action: Literal["accept", "decline", "done"],
    body: MoveBody,
    request: Request,
    services: Services,
    caller: CurrentIdentity,
) -> HelperMoveResult:
    status = await helper_tasks.helper_move(
        services.runtime.unit_of_work(), task_id, action, body.reason, caller, correlation_id_of(request)
    )
    return HelperMoveResult(task_id=task_id, status=status)


@router.get("/v1/helpers", response_model=Helpers, summary="地域の支援者の名簿(圏域ごと。名前はコンソールにあります)")
async def helpers(
    services: Services, caller: CurrentIdentity, area: str | None = Query(None, max_length=40)
) -> Helpers:
    found, load = await helper_reads.registry(services.runtime.unit_of_work(), services.reference.live, caller, area)
    return Helpers(
        items=[
            Helper(
                account_id=h.account_id,
                area=h.area,
                kind=h.kind,
                disabled=h.disabled,
                open_tasks=load.get(h.account_id, 0),
            )
            for h in found
        ]
    )


@router.get("/v1/helpers/counts", response_model=HelperCounts, summary="地域の支援者の登録者数(圏域・区分ごと)")
async def helper_counts(services: Services, caller: CurrentIdentity) -> HelperCounts:
    table = await helper_reads.counts(services.runtime.unit_of_work(), services.reference.live, caller)
    return HelperCounts(by_area=table, total=sum(sum(k.values()) for k in table.values()))
