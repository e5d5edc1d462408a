"""Is a new consultation about a person or household we already have an open case for?
No I/O: the service layer hands in the open cases' facts.

- **exact** (linked automatically, said so on the timeline): same school district and
  either the same known name (age groups not contradicting), or — for anonymous
  reports — the same approximate place and the same household make-up.
- **likely** (offered to the coordinator, who may merge), within the same school
  district: the same name (ages contradicting); or the same place together with the
  same household make-up or the person's same age group, or with a household member of
  the person's age group who carries one of the consultation's categories (a school's
  report of a ヤングケアラー in the household of an open 8050 case: the member's own
  categories, ``member_needs``). Where the district is unknown:
  the same known name anywhere. A household make-up alone is never a match: "本人 80代"
  is every 80-year-old living alone in the district; nor is a place alone, which a whole
  block of flats shares.
- At most ``MAX_LIKELY_OFFERS`` likely matches are offered, the strongest first (a name,
  then place and household, then place and age group): more than a coordinator reads.

Names are compared in their ``names.normalise_name`` form (variant kanji folded).

**Match keys.** Every rule above needs the same name, or — within one known district —
the same place. So each consultation of a case is stored with keys of those facts,
indexed, and a new consultation is compared only with the consultations sharing its
name or place key (``LOOKUP_KEYS``): the cost per consultation does not grow with the
open case load. The household key is stored but not looked up (no rule needs it alone);
the furigana key serves search.

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

__all__ = [
    "LOOKUP_KEYS",
    "MAX_LIKELY_OFFERS",
    "Match",
    "MatchKeys",
    "PersonFacts",
    "find_matches",
    "likely_offers",
    "match_keys",
    "normalise",
]

MatchKind = Literal["exact", "likely"]

MAX_LIKELY_OFFERS = 5
LOOKUP_KEYS = ("name_key", "place_key")
# Likely matches, strongest first: the reasons that make one (besides the district).
_LIKELY_RULES = (
    ("same_name",),
    ("same_place", "same_household"),
    ("same_place", "same_member"),
    ("same_place", "same_age_group"),
)


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
    categories: frozenset[str] = frozenset()  # the consultation's
    member_needs: tuple[tuple[str, frozenset[str]], ...] = ()  # (age group, own categories) per member

    @classmethod
    def of(
        cls, school_district: str, person: dict, household: Iterable[dict], categories: Iterable[str] = ()
    ) -> PersonFacts:
        members = tuple(sorted((normalise(m.get("relation")), normalise(m.get("age_group"))) for m in household))
        return cls(
            categories=frozenset(categories),
            school_district=school_district,
            name=normalise_name(person.get("name")) or None,
            name_kana=normalise_kana(person.get("name_kana")) or None,
            age_group=normalise(person.get("age_group")) or None,
            approximate_place=normalise(person.get("approximate_place")) or None,
            household=members,
        )


def match_keys(facts: PersonFacts, keys: MatchKeys) -> dict[str, str | None]:
    """The indexed keys of a consultation (``None`` where the fact is unknown). Two
    consultations ``_compare`` can match always share one of ``LOOKUP_KEYS``;
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
    same_age = new.age_group is not None and new.age_group == old.age_group
    same_place = new.approximate_place is not None and new.approximate_place == old.approximate_place
    same_household = bool(new.household) and new.household == old.household
    same_member = any(age == new.age_group and needs & new.categories for age, needs in old.member_needs)
    known_district = new.school_district != UNKNOWN_DISTRICT
    if known_district and new.school_district == old.school_district:
        if same_name and ages_agree:
            return "exact", ("same_name", "same_school_district")
        if same_place and same_household and (new.name is None or old.name is None):
            return "exact", ("same_place", "same_household", "same_school_district")
        hits = {
            "same_name": same_name,
            "same_place": same_place,
            "same_household": same_household,
            "same_member": same_place and same_member,  # a reason only beside the place
            "same_age_group": same_place and same_age,  # a reason only beside the place
        }
        if not any(all(hits[r] for r in rule) for rule in _LIKELY_RULES):
            return None
        return "likely", tuple(r for r, hit in hits.items() if hit) + ("same_school_district",)
    if same_name and ages_agree and (not known_district or old.school_district == UNKNOWN_DISTRICT):
        return "likely", ("same_name",)
    return None


def _strength(match: Match) -> int:
    """The index of the strongest likely rule the match's reasons meet (lower: stronger)."""
    reasons = set(match.reasons)
    return next((i for i, rule in enumerate(_LIKELY_RULES) if reasons.issuperset(rule)), len(_LIKELY_RULES))


def find_matches(new: PersonFacts, open_cases: Iterable[tuple[str, PersonFacts]]) -> list[Match]:
    """Matches, exact ones first, then in the order the cases were given (oldest first)."""
    found = []
    for case_id, facts in open_cases:
        result = _compare(new, facts)
        if result is not None:
            found.append(Match(case_id=case_id, kind=result[0], reasons=result[1]))
    return sorted(found, key=lambda m: m.kind != "exact")


def likely_offers(matches: Iterable[Match], limit: int = MAX_LIKELY_OFFERS) -> list[Match]:
    """The likely matches worth offering: the ``limit`` strongest, ties in the order given."""
    likely = [m for m in matches if m.kind == "likely"]
    return sorted(likely, key=_strength)[:limit]
