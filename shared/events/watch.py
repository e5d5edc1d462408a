"""case.* of the work in the community — published by the case service: 見守り (a watch
plan on a case and its check-ins) and 活動 (outreach and other activities, on a case or for
an area)."""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.envelope import EventPayload
from shared.events.personal import OptionalPersonalText, PersonalText

# 見守り: a watch plan on the case, and each check-in. Notify chases the next check-in
# (``next_due_at``) on the follow-up ladder and alerts the area on a worrying one.

WatcherKind = Literal["coordinator", "helper", "agency"]
WATCHER_LABELS: dict[str, str] = {"coordinator": "担当コーディネーター", "helper": "地域の支援者", "agency": "関係機関"}
WatchUnit = Literal["days", "business_days"]
CheckInKind = Literal["訪問", "電話", "様子見"]
CheckInOutcome = Literal["変わりなし", "気になる変化", "緊急"]


class WatchStarted(EventPayload):
    """A watch plan began: who watches (an account id or agency id, never a name), how
    often, until when; what to look for is the coordinator's words (sealed)."""

    TYPE: ClassVar[str] = "case.watch_started"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    plan_id: str
    area: str
    watcher_kind: WatcherKind
    watcher_id: str
    every: int
    unit: WatchUnit
    until: str  # the last day (JST date)
    look_for: PersonalText
    next_due_at: str | None  # the end of the day the first check-in is due; None: past ``until``


class WatchChanged(WatchStarted):
    """The watch plan was changed: the plan as it now is (the next check-in recomputed)."""

    TYPE: ClassVar[str] = "case.watch_changed"


class WatchEnded(EventPayload):
    """The watch plan ended: no more check-ins are chased."""

    TYPE: ClassVar[str] = "case.watch_ended"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    plan_id: str
    area: str


class CheckInRecorded(EventPayload):
    """A visit or call of a watch plan (見守りの確認) and what the watcher found;
    気になる変化 and 緊急 alert the area's coordinators."""

    TYPE: ClassVar[str] = "case.checked_in"
    AGGREGATE: ClassVar[str] = "case"
    PUBLISHER: ClassVar[str] = "case"

    case_id: str
    plan_id: str
    checkin_id: str
    area: str
    kind: CheckInKind
    outcome: CheckInOutcome
    checked_at: str
    note: OptionalPersonalText = None
    next_due_at: str | None


# 活動: outreach, accompaniment, visits, calls and meetings, on a case or for an area
# (``case_id`` None: nobody is known yet). Counted in the figures beside consultations.

ActivityKind = Literal["アウトリーチ", "同行", "訪問", "電話", "地域の集まり"]
ACTIVITY_KINDS: tuple[str, ...] = ("アウトリーチ", "同行", "訪問", "電話", "地域の集まり")
ActivityOutcome = Literal["会えた・話せた", "会えなかった", "相談につながった", "関係機関につないだ", "情報を共有した"]
ACTIVITY_OUTCOMES: tuple[str, ...] = (
    "会えた・話せた",
    "会えなかった",
    "相談につながった",
    "関係機関につないだ",
    "情報を共有した",
)


class ActivityRecorded(EventPayload):
    """An activity happened (its time, school district and area, who took part by id
    and how many residents, the outcome); the note is the coordinator's words (sealed).
    On the case's timeline when ``case_id`` is set."""

    TYPE: ClassVar[str] = "case.activity_recorded"
    AGGREGATE: ClassVar[str] = "activity"
    PUBLISHER: ClassVar[str] = "case"

    activity_id: str
    case_id: str | None = None
    area: str
    school_district: str | None = None
    kind: ActivityKind
    outcome_kind: ActivityOutcome
    happened_at: str
    account_ids: list[str] = []
    agency_ids: list[str] = []
    residents: int = 0
    note: OptionalPersonalText = None
