"""Is a new consultation about a person or household we already have an open case for?
No I/O: the service layer hands in the open cases' facts.

- **exact** (linked automatically, said so on the timeline): same school district and
  either the same known name (age groups not contradicting), or — for anonymous
  reports — the same approximate place and the same household make-up.
- **likely** (offered to the coordinator, who may merge): same school district and one
  of the same name, the same place, or the same household make-up; or, where the
  district is unknown, the same known name anywhere.

Names are compared in their ``names.normalise_name`` form (variant kanji folded).

**Match keys.** Every rule above needs the same name, or — within one known district —
the same place or the same household make-up. So each consultation of a case is stored
with three keys of those facts, indexed, and a new consultation is compared only with
the consultations sharing one of its keys (``match_keys``): the cost per consultation
does not grow with the open case load. A fourth key, of the furigana, serves search.

The keys are keyed hashes (HMAC-SHA256 with the city's ``TSUNAGI_MATCH_KEY``, handed in
as ``MatchKeys``), never bare hashes: a bare hash of a name is reversed by hashing a
dictionary of names, a keyed one only by whoever holds the key. No extra copy of a name
is kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from services.case.domain.names import normalise, normalise_kana, normalise_name
from shared.reference import UNKNOWN_DISTRICT

__all__ = ["Match", "MatchKeys", "PersonFacts", "find_matches", "match_keys", "normalise"]

MatchKind = Literal["exact", "likely"]


@dataclass(frozen=True)
class MatchKeys:
    """Keyed digests (HMAC-SHA256, 32 hex characters) of normalised facts. The secret is
    handed in by the composition root; the domain never reads it from the environment."""

    secret: bytes = field(repr=False)

    def digest(self, *parts: str) -> str:
        return hmac.new(self.secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]

    def name(self, name: str | None) -> str | None:
        """The key of a person's or a household member's name (``None`` if blank)."""
        normalised = normalise_name(name)
        return self.digest("name", normalised) if normalised else None

    def kana(self, kana: str | None) -> str | None:
        """The key of a furigana reading (``None`` if blank)."""
        normalised = normalise_kana(kana)
        return self.digest("kana", normalised) if normalised else None


@dataclass(frozen=True)
class PersonFacts:
    school_district: str
    name: str | None
    name_kana: str | None
    age_group: str | None
    approximate_place: str | None
    household: tuple[tuple[str, str], ...]  # (relation, age group), sorted

    @classmethod
    def of(cls, school_district: str, person: dict, household: Iterable[dict]) -> PersonFacts:
        members = tuple(sorted((normalise(m.get("relation")), normalise(m.get("age_group"))) for m in household))
        return cls(
            school_district=school_district,
            name=normalise_name(person.get("name")) or None,
            name_kana=normalise_kana(person.get("name_kana")) or None,
            age_group=normalise(person.get("age_group")) or None,
            approximate_place=normalise(person.get("approximate_place")) or None,
            household=members,
        )


def match_keys(facts: PersonFacts, keys: MatchKeys) -> dict[str, str | None]:
    """The indexed keys of a consultation (``None`` where the fact is unknown). Two
    consultations ``_compare`` can match always share at least one of the first three;
    ``kana_key`` (the furigana) is for search."""
    known = facts.school_district != UNKNOWN_DISTRICT
    household = ";".join(f"{relation}:{age}" for relation, age in facts.household)
    return {
        "name_key": keys.digest("name", facts.name) if facts.name else None,
        "place_key": keys.digest("place", facts.school_district, facts.approximate_place)
        if known and facts.approximate_place
        else None,
        "household_key": keys.digest("household", facts.school_district, household)
        if known and facts.household
        else None,
        "kana_key": keys.digest("kana", facts.name_kana) if facts.name_kana else None,
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
        reasons = tuple(
            r
            for r, hit in (("same_name", same_name), ("same_place", same_place), ("same_household", same_household))
            if hit
        )
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
