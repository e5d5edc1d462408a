"""Activities (活動) over HTTP: log one on a case or for an area, and list them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.case.domain.activities import MAX_PARTICIPANT_IDS, MAX_RESIDENTS, Participants
from services.case.entrypoints.dependencies import Services
from services.case.entrypoints.schemas import CommandResult, _Command
from services.case.handlers import activities
from shared.clock import as_utc, jst_text
from shared.events.watch import ActivityKind, ActivityOutcome
from shared.http.app import correlation_id_of
from shared.http.paging import Page, Window, page_of, paging
from shared.http.text import Text
from shared.identity import CurrentIdentity
from shared.plausible import FreeText, RecordedTime

router = APIRouter(tags=["活動"])
Id = Annotated[Text, Field(min_length=1, max_length=64)]


class _ActivityFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind = Field(description="アウトリーチ / 同行 / 訪問 / 電話 / 地域の集まり")
    outcome_kind: ActivityOutcome = Field(description="結果の種類")
    happened_at: RecordedTime | None = Field(
        None, description="活動した日時(省略時は現在。未来・ケースの受付より前は不可。時差なしは日本時間)"
    )
    school_district: Text | None = Field(None, min_length=1, max_length=40, description="活動した小学校区の id")
    account_ids: list[Id] = Field(default=[], max_length=MAX_PARTICIPANT_IDS, description="参加したアカウントの id")
    agency_ids: list[Id] = Field(default=[], max_length=MAX_PARTICIPANT_IDS, description="参加した関係機関の id")
    residents: int = Field(0, ge=0, le=MAX_RESIDENTS, description="参加した住民の数")
    note: FreeText | None = Field(None, max_length=500, description="ひとこと(任意。ケースの記録として扱います)")

    def activity(self) -> activities.ActivityIn:
        return activities.ActivityIn(
            kind=self.kind,
            outcome_kind=self.outcome_kind,
            happened_at=self.happened_at,
            school_district=self.school_district,
            participants=Participants(tuple(self.account_ids), tuple(self.agency_ids), self.residents),
            note=self.note,
        )


class CaseActivityBody(_ActivityFields, _Command):
    """An activity on a case (its ``version`` guards the case)."""


class AreaActivityBody(_ActivityFields):
    """An activity for an area, with no case: ``school_district`` is required."""


class TaskActivityBody(_ActivityFields):
    """A community helper's activity on a task they took on (its case is the task's)."""


class TaskActivityResult(BaseModel):
    task_id: str
    activity_id: str


class ActivityResult(CommandResult):
    activity_id: str


class AreaActivityResult(BaseModel):
    activity_id: str
    area: str


class Activity(BaseModel):
    id: str
    case_id: str | None = Field(description="ケースの id(地域の活動は null)")
    area: str
    school_district: str | None
    kind: str
    outcome_kind: str
    note: str | None = Field(description="ひとこと(ケースの活動の一覧 /v1/activities では null: ケースで読みます)")
    account_ids: list[str]
    agency_ids: list[str]
    residents: int
    happened_at: datetime
    happened_at_jst: str
    recorded_by: str


def _activity(row: dict[str, Any]) -> Activity:
    return Activity(
        **{k: row[k] for k in ("id", "case_id", "area", "school_district", "kind", "outcome_kind", "note")},
        account_ids=list(row["account_ids"]),
        agency_ids=list(row["agency_ids"]),
        residents=row["residents"],
        happened_at=as_utc(row["happened_at"]),
        happened_at_jst=jst_text(row["happened_at"]),
        recorded_by=row["recorded_by"],
    )


@router.post(
    "/v1/cases/{case_id}/activities", status_code=201, response_model=ActivityResult, summary="ケースの活動を記録する"
)
async def record_case_activity(
    case_id: str, body: CaseActivityBody, request: Request, services: Services, caller: CurrentIdentity
) -> ActivityResult:
    activity_id, version = await activities.record_on_case(
        services.runtime.unit_of_work(),
        services.reference.live,
        case_id,
        body.activity(),
        body.version,
        caller,
        correlation_id_of(request),
    )
    return ActivityResult(case_id=case_id, version=version, activity_id=activity_id)


@router.get("/v1/cases/{case_id}/activities", response_model=Page[Activity], summary="ケースの活動(閲覧は記録されます)")
async def list_case_activities(
    case_id: str,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
) -> dict[str, object]:
    found = await activities.of_case(
        services.runtime.unit_of_work(), case_id, caller, offset=window.offset, limit=window.limit
    )
    return page_of(window, [_activity(r) for r in found["items"]], found["total"])


@router.post("/v1/activities", status_code=201, response_model=AreaActivityResult, summary="地域の活動を記録する")
async def record_area_activity(
    body: AreaActivityBody, request: Request, services: Services, caller: CurrentIdentity
) -> AreaActivityResult:
    activity_id, area = await activities.record_for_area(
        services.runtime.unit_of_work(), services.reference.live, body.activity(), caller, correlation_id_of(request)
    )
    return AreaActivityResult(activity_id=activity_id, area=area)


@router.get("/v1/activities", response_model=Page[Activity], summary="活動の一覧(新しい順)")
async def list_activities(
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=50, maximum=200))],
    area: Annotated[str | None, Query(min_length=1, max_length=40, description="圏域(省略時は見られるすべて)")] = None,
    kind: Annotated[str | None, Query(min_length=1, max_length=12, description="活動の種類")] = None,
    without_case: Annotated[bool, Query(description="true: ケースのない地域の活動だけ")] = False,
) -> dict[str, object]:
    items, total = await activities.of_areas(
        services.runtime.unit_of_work(),
        caller,
        area,
        without_case=without_case,
        kind=kind,
        offset=window.offset,
        limit=window.limit,
    )
    return page_of(window, [_activity(r) for r in items], total)
