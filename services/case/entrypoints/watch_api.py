"""Watch plans (見守り) over HTTP: start, change, end, check-ins, and the read of them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.case.domain.watch import UNIT_LABELS, Rhythm
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import CommandResult, VersionIn, _Command
from services.case.handlers import watch
from shared.calendar import BusinessCalendar
from shared.clock import as_utc, jst_text
from shared.events.watch import WATCHER_LABELS, CheckInKind, CheckInOutcome, WatcherKind, WatchUnit
from shared.http.app import correlation_id_of
from shared.http.text import Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText, RecordedTime

router = APIRouter(prefix="/v1/cases/{case_id}/watch", tags=["見守り"])


class PlanBody(_Command):
    watcher_kind: WatcherKind = Field(
        description="見守る人: coordinator(担当) / helper(地域の支援者) / agency(関係機関)"
    )
    watcher_id: Text | None = Field(
        None, min_length=1, max_length=64, description="支援者のアカウント id または機関 id(担当のときは不要)"
    )
    every: int = Field(ge=1, le=366, description="間隔(unit の数)")
    unit: WatchUnit = Field(description="days(日) / business_days(営業日)")
    look_for: FreeText = Field(min_length=1, max_length=1000, description="気をつけて見ること")
    until: date = Field(description="終了日(日本時間の日付。今日から1年まで)")

    def plan(self) -> watch.PlanIn:
        return watch.PlanIn(
            watcher_kind=self.watcher_kind,
            watcher_id=self.watcher_id,
            every=self.every,
            unit=self.unit,
            look_for=self.look_for,
            until=self.until,
        )


class CheckInBody(_Command):
    checked_at: RecordedTime | None = Field(
        None, description="確認した日時(省略時は現在。見守りの開始より前・未来は不可。時差なしは日本時間)"
    )
    kind: CheckInKind
    outcome: CheckInOutcome
    note: FreeText | None = Field(None, max_length=500, description="ひとこと(任意)")


class WatchResult(CommandResult):
    plan_id: str | None = None
    checkin_id: str | None = None


class Plan(BaseModel):
    id: str
    status: str
    watcher_kind: str
    watcher_label: str
    watcher_id: str
    every: int
    unit: str
    rhythm: str = Field(description="例: 14日ごと")
    look_for: str
    until: date
    started_at: datetime
    last_checkin_at: datetime | None
    next_due_at: datetime | None
    next_due_at_jst: str | None
    next_due_on: date | None = Field(description="次の確認の予定日(この日の終わりまで。日本時間)")
    overdue: bool
    business_days_left: int | None = Field(description="次の確認まで残り営業日(超過はマイナス)")
    ended_at: datetime | None


class CheckIn(BaseModel):
    id: str
    kind: str
    outcome: str
    note: str | None
    checked_at: datetime
    checked_at_jst: str
    recorded_by: str


class Watch(BaseModel):
    case_id: str
    version: int
    current: Plan | None = Field(description="続いている見守り計画(なければ null)")
    checkins: list[CheckIn] = Field(description="続いている計画の最近の確認(新しい順)")
    items: list[Plan] = Field(description="これまでのすべての計画(新しい順)")


def _plan(row: dict[str, Any], now: datetime, calendar: BusinessCalendar) -> Plan:
    due = as_utc(row["next_due_at"]) if row["next_due_at"] is not None else None
    return Plan(
        **{k: row[k] for k in ("id", "status", "watcher_kind", "watcher_id", "every", "unit", "look_for", "until")},
        watcher_label=WATCHER_LABELS.get(row["watcher_kind"], row["watcher_kind"]),
        rhythm=Rhythm(row["every"], row["unit"]).describe() if row["unit"] in UNIT_LABELS else "",
        started_at=as_utc(row["started_at"]),
        last_checkin_at=as_utc(row["last_checkin_at"]) if row["last_checkin_at"] else None,
        next_due_at=due,
        next_due_at_jst=jst_text(due) if due else None,
        next_due_on=calendar.jst_day_of(due) if due else None,
        overdue=due is not None and now > due,
        business_days_left=calendar.business_days_left(due, now) if due else None,
        ended_at=as_utc(row["ended_at"]) if row["ended_at"] else None,
    )


@router.get("", response_model=Watch, summary="見守り計画と最近の確認(閲覧は記録されます)")
async def get_watch(case_id: str, services: Services, caller: CurrentIdentity) -> Watch:
    found = await watch.watch_of(services.runtime.unit_of_work(), case_id, caller)
    now, calendar = found["now"], services.reference.live.followups.calendar(None)
    return Watch(
        case_id=case_id,
        version=found["case"]["version"],
        current=_plan(found["current"], now, calendar) if found["current"] else None,
        checkins=[
            CheckIn(
                **{k: c[k] for k in ("id", "kind", "outcome", "note", "recorded_by")},
                checked_at=as_utc(c["checked_at"]),
                checked_at_jst=jst_text(c["checked_at"]),
            )
            for c in found["checkins"]
        ],
        items=[_plan(p, now, calendar) for p in found["plans"]],
    )


@router.post("", status_code=201, response_model=WatchResult, summary="見守りを始める")
async def start_watch(
    case_id: str, body: PlanBody, request: Request, services: Services, caller: CurrentIdentity
) -> WatchResult:
    uow = services.runtime.unit_of_work()
    plan_id, version = await watch.start(
        uow, services.reference.live, case_id, body.plan(), body.version, caller, correlation_id_of(request)
    )
    return WatchResult(case_id=case_id, version=version, plan_id=plan_id)


@router.post("/{plan_id}", response_model=WatchResult, summary="見守り計画を変える(計画の全体を送る)")
async def change_watch(
    case_id: str, plan_id: str, body: PlanBody, request: Request, services: Services, caller: CurrentIdentity
) -> WatchResult:
    uow = services.runtime.unit_of_work()
    version = await watch.change(
        uow, services.reference.live, case_id, plan_id, body.plan(), body.version, caller, correlation_id_of(request)
    )
    return WatchResult(case_id=case_id, version=version, plan_id=plan_id)


@router.post("/{plan_id}/end", response_model=WatchResult, summary="見守りを終える")
async def end_watch(
    case_id: str, plan_id: str, body: VersionIn, request: Request, services: Services, caller: CurrentIdentity
) -> WatchResult:
    uow = services.runtime.unit_of_work()
    version = await watch.end(uow, case_id, plan_id, body.version, caller, correlation_id_of(request))
    return WatchResult(case_id=case_id, version=version, plan_id=plan_id)


@router.post("/{plan_id}/checkins", status_code=201, response_model=WatchResult, summary="見守りの確認を記録する")
async def add_checkin(
    case_id: str, plan_id: str, body: CheckInBody, request: Request, services: Services, caller: CurrentIdentity
) -> WatchResult:
    uow = services.runtime.unit_of_work()
    checkin_id, version = await watch.check_in(
        uow,
        services.reference.live,
        case_id,
        plan_id,
        body.checked_at,
        body.kind,
        body.outcome,
        body.note,
        body.version,
        caller,
        correlation_id_of(request),
    )
    return WatchResult(case_id=case_id, version=version, plan_id=plan_id, checkin_id=checkin_id)
