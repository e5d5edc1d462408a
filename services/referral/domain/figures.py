"""Referrals taken up within their deadline, per agency kind (PDCA: つなぎの速さ). No I/O.

Each referral requested in a period ends in exactly one outcome, judged against its own
``decide_by`` (the follow-up policy for the agency's kind and the referral's urgency, in
the agency's business calendar) and, for those still undecided, against now:

- ``accepted_within_deadline`` — accepted at or before ``decide_by``;
- ``accepted_late`` — accepted after it;
- ``declined`` — declined (whenever);
- ``still_within_deadline`` — awaiting the agency's answer, deadline not yet passed;
- ``past_deadline_undecided`` — no answer by the deadline: still waiting, or cancelled
  by the coordinator only after the deadline had passed;
- ``closed_without_decision`` — cancelled before its deadline, or never delivered (an
  agency missing from the directory): nothing to hold the agency to.

The share accepted within the deadline is over the referrals decided or past their
deadline (accepted, declined, past the deadline undecided): those still within it and
those closed without a decision are not counted for or against anyone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

OUTCOMES: tuple[str, ...] = (
    "accepted_within_deadline",
    "accepted_late",
    "declined",
    "still_within_deadline",
    "past_deadline_undecided",
    "closed_without_decision",
)
JUDGED = ("accepted_within_deadline", "accepted_late", "declined", "past_deadline_undecided")
UNKNOWN_KIND = "名簿にない機関"
TOTAL = "合計"


def kind_figures(outcomes: Counter[str]) -> dict[str, Any]:
    """The counts of one agency kind (or of all), with the share (3 decimals; None when
    nothing was decided or past its deadline)."""
    counts = {outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES}
    judged = sum(counts[outcome] for outcome in JUDGED)
    return {
        "requested": sum(counts.values()),
        "accepted": counts["accepted_within_deadline"] + counts["accepted_late"],
        **counts,
        "share_accepted_within_deadline": round(counts["accepted_within_deadline"] / judged, 3) if judged else None,
    }


def by_agency_kind(
    rows: Iterable[tuple[str, str, int]], kind_of: Callable[[str], str | None], kinds: Sequence[str]
) -> dict[str, Any]:
    """Rows (agency id, outcome, count) → one entry per agency kind — every kind of the
    directory in its order, zeros included, then a kind seen only in the data — and the
    total. ``kind_of``: an agency's kind (None: not in the directory)."""
    tallies: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for agency_id, outcome, n in rows:
        tallies.setdefault(kind_of(agency_id) or UNKNOWN_KIND, Counter())[outcome] += n
    total: Counter[str] = Counter()
    for outcomes in tallies.values():
        total.update(outcomes)
    return {
        "by_agency_kind": [{"agency_kind": kind, **kind_figures(outcomes)} for kind, outcomes in tallies.items()],
        "total": kind_figures(total),
    }
