"""Unmet needs (サービスがないニーズ) and community issues (地域課題). No I/O.

A coordinator records on a case that no service exists for a need: its category,
school district and what is missing. Needs from several cases of one daily-life
area are gathered into a community issue of that area, which moves
raised → discussed → being developed → addressed (提起 → 協議中 → 資源開発中 → 解決);
every other move is refused. A need belongs to at most one issue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.errors import Conflict, InvalidInput

RAISED = "raised"
DISCUSSED = "discussed"
DEVELOPING = "developing"
ADDRESSED = "addressed"
STATUSES: tuple[str, ...] = (RAISED, DISCUSSED, DEVELOPING, ADDRESSED)
STATUS_LABELS: dict[str, str] = {
    RAISED: "提起",
    DISCUSSED: "協議中",
    DEVELOPING: "資源開発中",
    ADDRESSED: "解決",
}
# Each status moves only to the next; addressed is the end.
ALLOWED: dict[str, frozenset[str]] = {
    RAISED: frozenset({DISCUSSED}),
    DISCUSSED: frozenset({DEVELOPING}),
    DEVELOPING: frozenset({ADDRESSED}),
    ADDRESSED: frozenset(),
}
# An issue is gathered from at least this many needs (a single case's need stays a need).
MIN_NEEDS = 2


def check_status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidInput(f"地域課題の状態「{value}」はありません(使える値: {' / '.join(STATUSES)})。", field="to")
    return value


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def move(current: str, target: str) -> str:
    check_status(target)
    if current == target:
        raise Conflict(f"この地域課題はすでに「{STATUS_LABELS[current]}」です。", current_status=current)
    if not can_move(current, target):
        allowed = "・".join(STATUS_LABELS[s] for s in sorted(ALLOWED.get(current, ()), key=STATUSES.index))
        raise Conflict(
            f"「{STATUS_LABELS.get(current, current)}」から「{STATUS_LABELS[target]}」には変更できません"
            f"(変更できる状態: {allowed or 'なし'})。",
            current_status=current,
        )
    return target


def check_category(category: str, known: Iterable[str]) -> str:
    if category not in set(known):
        raise InvalidInput(f"相談分類「{category}」は登録されていません。", field="category")
    return category


def _check_needs(area: str, needs: Sequence[Mapping[str, Any]], asked: list[str]) -> None:
    """Every need asked for found, of ``area``'s cases, not already in an issue."""
    found = {n["id"] for n in needs}
    missing = [i for i in asked if i not in found]
    if missing:
        raise InvalidInput(f"ニーズ {missing} は見つかりません。", field="need_ids")
    other = [n["id"] for n in needs if n["area"] != area]
    if other:
        raise InvalidInput(f"ニーズ {other} は{area}のケースのものではありません。", field="need_ids")
    taken = [n["id"] for n in needs if n["issue_id"] is not None]
    if taken:
        raise Conflict(f"ニーズ {taken} はすでに地域課題にまとめられています。")


def check_gathering(area: str, needs: Sequence[Mapping[str, Any]], asked: list[str]) -> None:
    """A new issue of ``area``: its needs come from at least two cases."""
    _check_needs(area, needs, asked)
    if len({n["case_id"] for n in needs}) < MIN_NEEDS:
        raise InvalidInput("地域課題は2つ以上のケースのニーズからまとめてください。", field="need_ids")


def check_adding(status: str, area: str, needs: Sequence[Mapping[str, Any]], asked: list[str]) -> None:
    """More needs for an issue not yet addressed."""
    if status == ADDRESSED:
        raise Conflict("解決した地域課題にはニーズを追加できません。", current_status=status)
    _check_needs(area, needs, asked)
