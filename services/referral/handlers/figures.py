"""The PDCA figures of referrals: taken up within their deadline, per agency kind, for a
period and the one before it (coordinators: their area; supervisors: the city)."""

from __future__ import annotations

from typing import Any

from services.referral.adapters.figures import outcomes_by_period
from services.referral.domain.figures import UNKNOWN_KIND, by_agency_kind
from shared.clock import jst_text
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden
from shared.identity import Identity
from shared.periods import Month, Period, PeriodKind
from shared.reference import ReferenceData


def figures_area(caller: Identity) -> str | None:
    """The area a caller's figures cover (None: every area)."""
    if caller.role == "supervisor":
        return None
    if caller.role == "coordinator":
        return caller.scope
    raise Forbidden("紹介の集計は、地域福祉コーディネーターと管理者のみ閲覧できます。")


async def referral_figures(
    uow: UnitOfWork, caller: Identity, reference: ReferenceData, kind: PeriodKind, at: Month | None
) -> dict[str, Any]:
    """``at``: any month of the wanted period; None: the current month (JST)."""
    area = figures_area(caller)
    now = uow.clock.now()
    period = Period.containing(kind, at or Month.of(now))
    previous = period.previous()
    async with uow:
        rows = await outcomes_by_period(uow.db, [previous.bounds[0], *period.bounds], now, area)

    def agency_kind(agency_id: str) -> str | None:
        agency = reference.agency(agency_id)
        return agency.kind if agency else None

    # The directory's kinds in its order, then any only the data knows: both periods list the same.
    kinds = list(
        dict.fromkeys(
            [
                *(a.kind for a in reference.agencies),
                *(agency_kind(agency_id) or UNKNOWN_KIND for _, agency_id, _, _ in rows),
            ]
        )
    )
    figures = {
        which: by_agency_kind([(a, o, n) for p, a, o, n in rows if p == index], agency_kind, kinds)
        for index, which in enumerate(("previous", "current"))
    }
    return {
        "generated_at_jst": jst_text(now),
        "scope": "市全域" if area is None else [area],
        "period": period.as_dict(),
        "previous": previous.as_dict(),
        "current": figures["current"],
        "previous_figures": figures["previous"],
    }
