"""Is a new consultation about a person or household we already have an open case for?
No I/O: the service layer hands in the open cases' facts.

- **exact** (linked automatically, said so on the timeline): same school district and
  either the same known name (age groups not contradicting), or — for anonymous
  reports — the same approximate place and the same household make-up.
- **likely** (offered to the coordinator, who may merge): same school district and one
  of the same name, the same place, or the same household make-up; or, where the
  district is unknown, the same known name anywhere.

**Match keys.** Every rule above needs the same name, or — within one known district —
the same place or the same household make-up. So each consultation of a case is stored
with three keys (hashes of those facts, so no extra copy of a name is kept), indexed,
and a new consultation is compared only with the consultations sharing one of its keys
(``match_keys``): the cost per consultation does not grow with the open case load.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.reference import UNKNOWN_DISTRICT

MatchKind = Literal["exact", "likely"]


def normalise(text: str | None) -> str:
    """NFKC, no spaces of any width, lower case: 「山田 太郎」 == 「山田太郎」."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not ch.isspace())


@dataclass(frozen=True)
class PersonFacts:
    school_district: str
    name: str | None
    age_group: str | None
    approximate_place: str | None
    household: tuple[tuple[str, str], ...]  # (relation, age group), sorted

    @classmethod
    def of(cls, school_district: str, person: dict, household: Iterable[dict]) -> "PersonFacts":
        members = tuple(sorted((normalise(m.get("relation")), normalise(m.get("age_group")))
                               for m in household))
        return cls(school_district=school_district, name=normalise(person.get("name")) or None,
                   age_group=normalise(person.get("age_group")) or None,
                   approximate_place=normalise(person.get("approximate_place")) or None, household=members)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def match_keys(facts: PersonFacts) -> dict[str, str | None]:
    """The indexed keys of a consultation (``None`` where the fact is unknown). Two
    consultations ``_compare`` can match always share at least one of them."""
    known = facts.school_district != UNKNOWN_DISTRICT
    household = ";".join(f"{relation}:{age}" for relation, age in facts.household)
    return {
        "name_key": _digest("name", facts.name) if facts.name else None,
        "place_key": _digest("place", facts.school_district, facts.approximate_place)
        if known and facts.approximate_place else None,
        "household_key": _digest("household", facts.school_district, household)
        if known and facts.household else None,
    }


@dataclass(frozen=True)
class Match:
    case_id: str
    kind: MatchKind
    reasons: tuple[str, ...]


def _compare(new: PersonFacts, old: PersonFacts) -> tuple[MatchKind, tuple[str, ...]] | None:
    same_name = new.name is not None and new.name == old.name
    ages_agree = new.age_group is None or old.age_group is None or new.age_group == old.age_group
    same_place = new.approximate_place is not None and new.approximate_place == old.approximate_place
    same_household = bool(new.household) and new.household == old.household
    known_district = new.school_district != UNKNOWN_DISTRICT
    if known_district and new.school_district == old.school_district:
        if same_name and ages_agree:
            return "exact", ("same_name", "same_school_district")
        if same_place and same_household and (new.name is None or old.name is None):
            return "exact", ("same_place", "same_household", "same_school_district")
        reasons = tuple(r for r, hit in (("same_name", same_name), ("same_place", same_place),
                                         ("same_household", same_household)) if hit)
        return ("likely", reasons + ("same_school_district",)) if reasons else None
    if same_name and ages_agree and (not known_district or old.school_district == UNKNOWN_DISTRICT):
        return "likely", ("same_name",)
    return None


def find_matches(new: PersonFacts, open_cases: Iterable[tuple[str, PersonFacts]]) -> list[Match]:
    """Matches, exact ones first, then in the order the cases were given (oldest first)."""
    found = []
    for case_id, facts in open_cases:
        result = _compare(new, facts)
        if result is not None:
            found.append(Match(case_id=case_id, kind=result[0], reasons=result[1]))
    return sorted(found, key=lambda m: m.kind != "exact")
