"""Community helpers' tasks (地域の支援者への依頼): a coordinator gives a registered helper
of the case's area a small task — 見守り, 同行 or 声かけ — sharing only what that kind of
task needs, and only what the referral consent gate allows. No I/O.

A task is given (``assigned``); the helper takes it on (``accepted``) or declines it
(``declined``, with a reason); while taken on, the helper records check-ins, then
reports it done (``done``). The coordinator can withdraw (``cancelled``) a task not yet
ended. Declined, done and cancelled are final: a new task is given instead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.case.domain.moves import CaseState, check_workable
from services.case.domain.referrals import check_share, may_share_personal
from shared.errors import Conflict, Forbidden, InvalidInput
from shared.events.referral import PERSONAL_FIELDS

ASSIGNED = "assigned"
ACCEPTED = "accepted"
DECLINED = "declined"
DONE = "done"
CANCELLED = "cancelled"
OPEN = frozenset({ASSIGNED, ACCEPTED})

STATUS_LABELS = {
    ASSIGNED: "依頼中",
    ACCEPTED: "引き受け済",
    DECLINED: "辞退",
    DONE: "完了",
    CANCELLED: "取消",
}

# What each kind of task needs to know, at most: the coordinator picks among these, and
# the personal ones pass the consent gate like a referral's. What was noticed, the
# urgency and the categories of the consultation stay with the coordinator unless the
# kind needs them (an accompaniment needs to know what the visit is about).
TASK_NEEDS: dict[str, tuple[str, ...]] = {
    "見守り": ("person_name", "age_group", "approximate_place", "school_district", "household"),
    "同行": ("person_name", "age_group", "approximate_place", "school_district", "categories"),
    "声かけ": ("person_name", "age_group", "approximate_place", "school_district"),
}
# A task is something to do soon; a longer watch is a watch plan.
MAX_DUE = timedelta(days=180)

# Who may make which move: the helper their own task, the coordinator the case's.
_MOVES: dict[str, tuple[frozenset[str], str, str]] = {
    # move: (from statuses, to status, who)
    "accept": (frozenset({ASSIGNED}), ACCEPTED, "helper"),
    "decline": (frozenset({ASSIGNED}), DECLINED, "helper"),
    "done": (frozenset({ACCEPTED}), DONE, "helper"),
    "cancel": (OPEN, CANCELLED, "coordinator"),
}
_REFUSALS = {
    "accept": "引き受けられるのは、依頼中の依頼だけです",
    "decline": "辞退できるのは、まだ引き受けていない依頼だけです",
    "done": "完了にできるのは、引き受けた依頼だけです",
    "cancel": "取り消せるのは、終わっていない依頼だけです",
}


@dataclass(frozen=True)
class HelperOnFile:
    """A community helper as the case service knows them (from the console's account events)."""

    account_id: str
    area: str
    kind: str | None
    disabled: bool


def check_kind(kind: str) -> str:
    if kind not in TASK_NEEDS:
        raise InvalidInput(f"依頼の種類「{kind}」はありません(使える値: {' / '.join(TASK_NEEDS)})。", field="kind")
    return kind


def check_helper(helper: HelperOnFile | None, helper_id: str, case_area: str) -> HelperOnFile:
    """A task goes to a registered, enabled helper of the case's own area."""
    if helper is None:
        raise InvalidInput(f"「{helper_id}」は地域の支援者として登録されていません。", field="helper_id")
    if helper.disabled:
        raise InvalidInput(f"「{helper_id}」のアカウントは利用停止されています。", field="helper_id")
    if helper.area != case_area:
        raise InvalidInput(
            f"「{helper_id}」は{helper.area}の支援者です。このケース({case_area})には、{case_area}の支援者に依頼してください。",
            field="helper_id",
        )
    return helper


def check_task_share(kind: str, share: Iterable[str], consent: str, legal_ground: str | None) -> list[str]:
    """The fields the task shares: only what its kind needs, then the referrals' consent gate."""
    chosen = list(dict.fromkeys(share))
    beyond = [f for f in chosen if f not in TASK_NEEDS[check_kind(kind)]]
    if beyond:
        raise InvalidInput(
            f"「{kind}」の依頼で共有できない項目です: {beyond}(共有できる項目: {', '.join(TASK_NEEDS[kind])})。",
            field="share",
        )
    return check_share(chosen, consent, legal_ground)


def visible_fields(shared: Iterable[str], consent: str, legal_ground: str | None) -> list[str]:
    """What the helper reads now: the chosen fields, less the personal ones once consent
    is withdrawn and no legal ground is recorded (the gate holds at every read)."""
    allowed = may_share_personal(consent, legal_ground)
    return [f for f in shared if allowed or f not in PERSONAL_FIELDS]


def check_due(due_on: date | None, today: date) -> date | None:
    if due_on is None:
        return None
    if due_on < today:
        raise InvalidInput("期限は今日以降の日付にしてください。", field="due_on")
    if due_on > today + MAX_DUE:
        raise InvalidInput("期限は180日以内にしてください。長く続く見守りは見守り計画にしてください。", field="due_on")
    return due_on


def check_assign(case: CaseState) -> None:
    """``POST /helper-tasks``: an open, workable case that someone is in charge of (the
    helper needs a coordinator to turn to)."""
    check_workable(case)
    if not case.assigned:
        raise Conflict("担当が決まっていないケースです。先に担当を決めてください。", current_version=case.version)


def move(status: str, action: str, role: str) -> str:
    """The status after ``action`` by ``role``; every other move is refused."""
    found = _MOVES.get(action)
    if found is None:
        raise InvalidInput(f"依頼の操作「{action}」はありません。", field="action")
    sources, target, who = found
    if role != who:
        doer = "依頼を受けた支援者" if who == "helper" else "ケースのコーディネーター"
        raise Forbidden(f"この操作は{doer}のみ行えます。")
    if status not in sources:
        raise Conflict(f"{_REFUSALS[action]}(現在: {STATUS_LABELS.get(status, status)})。", current_status=status)
    return target


def check_reason(action: str, reason: str | None) -> None:
    """A decline says why: the coordinator needs it to find someone else."""
    if action == "decline" and not (reason or "").strip():
        raise InvalidInput("辞退の理由を入力してください。", field="reason")


def check_recordable(status: str) -> None:
    """A check-in is recorded on a task the helper has taken on and not yet ended."""
    if status != ACCEPTED:
        raise Conflict(
            f"確認を記録できるのは、引き受けた依頼だけです(現在: {STATUS_LABELS.get(status, status)})。",
            current_status=status,
        )


def registered_by_area(helpers: Iterable[Any], area_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Registered (enabled) helpers by area and kind (登録者数, as the plan reports it):
    every area given, empty where none is registered."""
    table: dict[str, dict[str, int]] = {area: {} for area in area_ids}
    for h in helpers:
        if not h.disabled and h.area in table:
            kind = h.kind or "その他"
            table[h.area][kind] = table[h.area].get(kind, 0) + 1
    return table
