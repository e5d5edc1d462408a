"""Activities (活動): outreach, accompaniment, home visits, phone calls and community
meetings a coordinator logs — on a case, or for an area when no case exists yet (an
outreach that found no one still counts: 「相談件数や活動件数」). The rules every
command shares. No I/O.

An activity happened at a plausible time (``shared.plausible``: not in the future, not
before the case was raised when it is on one), in a school district of the reference
geography (its daily-life area follows), with who took part — accounts, agencies (by
id, from the reference data) and a number of residents — and an outcome."""

from __future__ import annotations

from dataclasses import dataclass

from services.case.domain.moves import CaseState, check_workable
from shared.errors import Forbidden, InvalidInput
from shared.events.watch import ACTIVITY_KINDS, ACTIVITY_OUTCOMES

# Accompanying someone (同行) is work on their case: there is no 同行 of nobody.
NEEDS_CASE: frozenset[str] = frozenset({"同行"})
# Limits that keep a typo (50000 residents, a pasted list) out of the figures.
MAX_RESIDENTS = 1000
MAX_PARTICIPANT_IDS = 30


@dataclass(frozen=True)
class Participants:
    """Who took part besides the one recording: accounts and agencies by id (never a
    name) and how many residents."""

    account_ids: tuple[str, ...] = ()
    agency_ids: tuple[str, ...] = ()
    residents: int = 0

    def check(self, known_agencies: frozenset[str]) -> Participants:
        for field, ids in (("account_ids", self.account_ids), ("agency_ids", self.agency_ids)):
            if len(ids) > MAX_PARTICIPANT_IDS:
                raise InvalidInput(f"参加者は{MAX_PARTICIPANT_IDS}件までです。", field=field)
            if len(set(ids)) != len(ids):
                raise InvalidInput("同じ参加者が重複しています。", field=field)
            if any(not i.strip() for i in ids):
                raise InvalidInput("空の ID は参加者になりません。", field=field)
        unknown = [a for a in self.agency_ids if a not in known_agencies]
        if unknown:
            raise InvalidInput(f"関係機関「{unknown[0]}」は登録されていません。", field="agency_ids")
        if not 0 <= self.residents <= MAX_RESIDENTS:
            raise InvalidInput(f"参加した住民の数は0〜{MAX_RESIDENTS}人で入力してください。", field="residents")
        return self


def check_kind(kind: str) -> None:
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(f"活動の種類「{kind}」はありません(使える値: {'・'.join(ACTIVITY_KINDS)})。", field="kind")


def check_outcome(outcome: str) -> None:
    if outcome not in ACTIVITY_OUTCOMES:
        choices = "・".join(ACTIVITY_OUTCOMES)
        raise InvalidInput(f"活動の結果「{outcome}」はありません(使える値: {choices})。", field="outcome_kind")


def check_on_case(case: CaseState) -> None:
    """An activity on a case: the case is workable (not merged, not closed)."""
    check_workable(case)


def check_for_area(kind: str) -> None:
    """An activity without a case: only what can happen before anyone is known."""
    if kind in NEEDS_CASE:
        raise InvalidInput("同行はケースに記録してください(地域の活動にはできません)。", field="kind")


def district_area(district: str | None, districts: dict[str, str], *, required: bool) -> str | None:
    """The daily-life area of a school district of the reference data (``districts``:
    id → area); None when none was given and none is needed."""
    if district is None:
        if required:
            raise InvalidInput("活動した小学校区を選んでください。", field="school_district")
        return None
    area = districts.get(district)
    if area is None:
        raise InvalidInput(f"小学校区「{district}」は参照データにありません。", field="school_district")
    return area


def check_recorder_area(role: str, scope: str, area: str) -> None:
    """A coordinator logs the activities of their own area; an area's figures are its
    coordinators' work."""
    if role == "coordinator" and area != scope:
        raise Forbidden(f"ほかの圏域({area})の活動は記録できません。あなたの圏域: {scope}。")
