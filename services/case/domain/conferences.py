"""Case conferences (ケース会議・地区推進会議・支援会議): the meeting's and its tasks' state
machines, who may read the minutes, and what a 支援会議 may share. No I/O.

A meeting is planned, then held (on a day not in the future), then its minutes are
recorded (what was decided per case); a planned meeting may be cancelled. Minutes may be
recorded again while the meeting is in that state (a correction). A task set at the
meeting (an owner, a due day) is open until done or cancelled; notify chases an open
task on the follow-up ladder like any handoff.

Minutes are visible only to the participants (their accounts and agencies), the
coordinators of the cases discussed and supervisors. A 支援会議's members owe
confidentiality (社会福祉法第106条の6), which is the legal ground for sharing a case's
personal fields with them without consent; any other meeting shares under the case's
own consent or legal ground (the referral rule, ``check_share``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.case.domain.referrals import check_share
from shared.errors import Conflict, InvalidInput
from shared.plausible import SYSTEM_EPOCH

ConferenceKind = Literal["ケース会議", "地区推進会議", "支援会議"]
KINDS: tuple[str, ...] = ConferenceKind.__args__  # type: ignore[attr-defined]
SUPPORT_MEETING = "支援会議"
# The ground a 支援会議's sharing is recorded under, field by field.
CONFIDENTIALITY_GROUND = "社会福祉法第106条の6(支援会議の守秘義務)"

PLANNED = "planned"
HELD = "held"
MINUTES_RECORDED = "minutes_recorded"
CANCELLED = "cancelled"
STATUS_LABELS = {PLANNED: "予定", HELD: "開催済", MINUTES_RECORDED: "記録済", CANCELLED: "中止"}
_MOVES: dict[str, frozenset[str]] = {
    PLANNED: frozenset({HELD, CANCELLED}),
    HELD: frozenset({MINUTES_RECORDED}),
    MINUTES_RECORDED: frozenset({MINUTES_RECORDED}),  # a correction of the minutes
    CANCELLED: frozenset(),
}

OPEN = "open"
DONE = "done"
TASK_CANCELLED = "cancelled"
TASK_LABELS = {OPEN: "未完了", DONE: "完了", TASK_CANCELLED: "取消"}
_TASK_MOVES: dict[str, frozenset[str]] = {
    OPEN: frozenset({DONE, TASK_CANCELLED}),
    DONE: frozenset(),
    TASK_CANCELLED: frozenset(),
}

OwnerKind = Literal["coordinator", "helper", "agency"]
# A meeting about more than this many cases is an agenda, not a conference.
MAX_CASES = 20
MAX_PARTICIPANTS = 30
# How far ahead a meeting may be planned, and a task be due.
MAX_AHEAD = timedelta(days=366)


def move(status: str, to: str) -> str:
    """The meeting's next status, or a 409 saying why not."""
    if to not in _MOVES.get(status, frozenset()):
        raise Conflict(f"{STATUS_LABELS.get(status, status)}の会議を{STATUS_LABELS.get(to, to)}にはできません。")
    return to


def move_task(status: str, to: str) -> str:
    if to not in _TASK_MOVES.get(status, frozenset()):
        raise Conflict(f"{TASK_LABELS.get(status, status)}の役割を{TASK_LABELS.get(to, to)}にはできません。")
    return to


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"会議の種類「{kind}」はありません(使える値: {' / '.join(KINDS)})。", field="kind")
    return kind


def check_planned_on(day: date, today: date) -> date:
    """A meeting is planned for a day from the system's epoch (``shared.plausible``) to a
    year ahead (a past meeting may be entered afterwards)."""
    if day < SYSTEM_EPOCH.date():
        raise InvalidInput(f"{SYSTEM_EPOCH:%Y年%m月%d日}より前の日付は記録できません。", field="held_on")
    if day > today + MAX_AHEAD:
        raise InvalidInput("会議の日付は1年先までにしてください。", field="held_on")
    return day


def check_held_on(day: date, today: date) -> date:
    """A meeting is held on a day that has come."""
    if day > today:
        raise InvalidInput("まだ来ていない日に開催済にはできません。", field="held_on")
    return check_planned_on(day, today)


def check_due_on(day: date, today: date) -> date:
    if day < today:
        raise InvalidInput("期限は今日以降の日付にしてください。", field="due_on")
    if day > today + MAX_AHEAD:
        raise InvalidInput("期限は1年先までにしてください。", field="due_on")
    return day


def check_members(case_ids: list[str], accounts: list[str], agencies: list[str]) -> None:
    if not case_ids:
        raise InvalidInput("話し合うケースを1件以上選んでください。", field="case_ids")
    if len(set(case_ids)) > MAX_CASES:
        raise InvalidInput(f"1回の会議で話し合えるケースは{MAX_CASES}件までです。", field="case_ids")
    if len(set(accounts)) + len(set(agencies)) > MAX_PARTICIPANTS:
        raise InvalidInput(f"参加者は{MAX_PARTICIPANTS}までです。", field="participants")


def check_accounts(
    accounts: Iterable[str], knows: Callable[[str], bool], disabled: Callable[[str], bool], *, caller: str
) -> None:
    """The accounts asked to the table are accounts the console told this service about
    (``shared/access.py``, the registry tokens are checked against), and not disabled; the
    caller, whose token was accepted, is not asked again."""
    for account in accounts:
        if account == caller:
            continue
        if not knows(account):
            raise InvalidInput(
                f"参加者のアカウント「{account}」は登録されていません。アカウントIDを確かめてください。",
                field="accounts",
            )
        if disabled(account):
            raise InvalidInput(f"参加者のアカウント「{account}」は利用停止されています。", field="accounts")


def check_discussed(case_id: str, discussed: Iterable[str], field: str) -> None:
    if case_id not in set(discussed):
        raise InvalidInput("この会議で話し合うケースではありません。", field=field)


@dataclass(frozen=True)
class Audience:
    """Who the minutes are for."""

    accounts: frozenset[str]
    agencies: frozenset[str]
    coordinators: frozenset[str]  # the coordinators of the cases discussed


def may_read(role: str, scope: str, subject: str, audience: Audience) -> bool:
    """The participants, the cases' coordinators and supervisors; no one else (an
    agency by its id, a person by their account)."""
    if role == "supervisor":
        return True
    if role == "agency":
        return scope in audience.agencies
    return subject in audience.accounts or (role == "coordinator" and subject in audience.coordinators)


def may_write(role: str, subject: str, audience: Audience) -> bool:
    """Coordinators who take part (or coordinate a case discussed) record the meeting."""
    return role == "coordinator" and (subject in audience.accounts or subject in audience.coordinators)


def may_close_task(role: str, scope: str, subject: str, owner_kind: str, owner_id: str, audience: Audience) -> bool:
    """The task's owner marks it done; so may a coordinator of the meeting."""
    if may_write(role, subject, audience):
        return True
    if owner_kind == "agency":
        return role == "agency" and scope == owner_id
    return subject == owner_id


def check_owner(owner_kind: str, owner_id: str, audience: Audience) -> None:
    """A task is owned by someone at the table: a participating account or agency."""
    known = audience.agencies if owner_kind == "agency" else audience.accounts | audience.coordinators
    if owner_id not in known:
        raise InvalidInput("役割を持つ人・機関は、この会議の参加者から選んでください。", field="owner_id")


def share_ground(kind: str, consent: str, legal_ground: str | None) -> str | None:
    """The legal ground the sharing is recorded under: a 支援会議's confidentiality, else
    the case's own (None where it shares under consent)."""
    if kind == SUPPORT_MEETING:
        return CONFIDENTIALITY_GROUND
    return (legal_ground or "").strip() or None


def check_meeting_share(kind: str, fields: Iterable[str], consent: str, legal_ground: str | None) -> list[str]:
    """The fields a meeting may share with its participants: ``check_share``, with a
    支援会議's confidentiality as the ground where the case records none."""
    ground = CONFIDENTIALITY_GROUND if kind == SUPPORT_MEETING else legal_ground
    return check_share(fields, consent, ground)
