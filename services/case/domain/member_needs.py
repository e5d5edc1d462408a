"""Each household member's own needs: their categories (from the reference categories —
a child caring for a parent is ヤングケアラー in an 8050 household), their consent where
it differs from the case's, and a preferred language or the need of an interpreter.
No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from services.case.domain.referrals import CaseFacts
from shared.errors import InvalidInput

CONSENTS = ("同意あり", "同意なし", "未確認")
MAX_CATEGORIES = 8


@dataclass(frozen=True)
class Needs:
    categories: list[str]
    consent: str | None  # None: the case's consent stands for the member
    language: str | None
    interpreter: bool


def check_needs(needs: Needs, known_categories: Iterable[str]) -> Needs:
    known = set(known_categories)
    unknown = [c for c in needs.categories if c not in known]
    if unknown:
        raise InvalidInput(f"相談分類 {unknown} は登録されていません。", field="categories")
    if len(set(needs.categories)) > MAX_CATEGORIES:
        raise InvalidInput(f"相談分類は{MAX_CATEGORIES}つまでです。", field="categories")
    if needs.consent is not None and needs.consent not in CONSENTS:
        raise InvalidInput(f"同意「{needs.consent}」はありません(使える値: {' / '.join(CONSENTS)})。", field="consent")
    if needs.interpreter and not (needs.language or "").strip():
        raise InvalidInput("通訳が必要なときは、使う言語を書いてください。", field="language")
    return Needs(
        list(dict.fromkeys(needs.categories)), needs.consent, (needs.language or "").strip() or None, needs.interpreter
    )


def member_consent(member: dict[str, Any], case_consent: str) -> str:
    """The member's own consent where recorded, else the case's."""
    return member.get("consent") or case_consent


def facts_of_member(facts: CaseFacts, member: dict[str, Any]) -> CaseFacts:
    """What a referral for one member carries: that member's name, age group and
    categories (their own, else the case's); the place, household and what was noticed
    stay the case's."""
    return replace(
        facts,
        person_name=member.get("name"),
        age_group=member.get("age_group"),
        categories=list(member.get("categories") or facts.categories),
    )
