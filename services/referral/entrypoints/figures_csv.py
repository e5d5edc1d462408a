"""The referral figures as one CSV table: a row per period and agency kind (合計: all)."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.referral.domain.figures import OUTCOMES, TOTAL

MEASURES = ("requested", "accepted", *OUTCOMES, "share_accepted_within_deadline")
HEADER = ("part", "label", "start", "end", "agency_kind", *MEASURES)


def referral_figures_csv(data: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for part, period, figures in (
        ("current", data["period"], data["current"]),
        ("previous", data["previous"], data["previous_figures"]),
    ):
        where = (part, period["label"], period["start"], period["end"])
        for row in [*figures["by_agency_kind"], {"agency_kind": TOTAL, **figures["total"]}]:
            writer.writerow((*where, row["agency_kind"], *("" if row[m] is None else row[m] for m in MEASURES)))
    return buffer.getvalue()
