"""What an agency may be told about a case (要配慮個人情報). No I/O.

The coordinator chooses the fields to share; the case service sends only those. This
service checks again before anything reaches an agency's inbox, so a mistake upstream
cannot leak: only the shareable fields are kept, and fields that identify or describe
the person are kept only with the person's consent or a recorded legal ground."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.events.referral import PERSONAL_FIELDS, SHAREABLE_FIELDS

CONSENT_GIVEN = "同意あり"


def may_share_personal_data(consent: str, legal_ground: str | None) -> bool:
    return consent == CONSENT_GIVEN or bool(legal_ground and legal_ground.strip())


@dataclass(frozen=True)
class SharedData:
    fields: dict[str, Any]
    # Names of fields the coordinator offered but that were held back (never their values).
    withheld: tuple[str, ...]


def shareable_part(offered: Mapping[str, Any], consent: str, legal_ground: str | None) -> SharedData:
    personal_allowed = may_share_personal_data(consent, legal_ground)
    kept: dict[str, Any] = {}
    withheld: list[str] = []
    for key, value in offered.items():
        if value is None:
            continue
        if key in SHAREABLE_FIELDS and (personal_allowed or key not in PERSONAL_FIELDS):
            kept[key] = value
        else:
            withheld.append(key)
    return SharedData(fields=kept, withheld=tuple(sorted(withheld)))


def without_personal_data(shared: Mapping[str, Any], withheld: tuple[str, ...]) -> SharedData:
    """After consent is withdrawn (and no legal ground is recorded): the agency keeps
    nothing that identifies or describes the person."""
    removed = {k for k in shared if k in PERSONAL_FIELDS}
    kept = {k: v for k, v in shared.items() if k not in removed}
    return SharedData(fields=kept, withheld=tuple(sorted(set(withheld) | removed)))
