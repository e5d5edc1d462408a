"""The timeline's CSV export, streamed in chunks: the same rows as one piece, one BOM."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from services.case.entrypoints import views


def _entries(n: int) -> list[dict]:
    at = datetime(2026, 4, 1, tzinfo=UTC)
    return [
        dict(event_id=f"E{i:03d}", case_id="C1", type="case.note_added", occurred_at=at, actor_role="coordinator",
             actor_id="csw-1", correlation_id="c", causation_id=None, summary={"note_id": f"N{i}"},
             content_hash=f"{i:064x}", intact=True, seq=i, chain_hmac="0" * 64, erased_at=None)
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_chunks_join_into_every_row_and_the_seal_with_one_bom() -> None:
    for n in (0, 1, 2, 5, 6):
        view = views.timeline({"id": "C1", "case_number": "K-2604-000001"}, _entries(n))
        body = b"".join(views.timeline_csv(view, rows_a_chunk=2))
        assert body.startswith("\ufeff".encode()) and body.count("\ufeff".encode()) == 1
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0][0] == "event_id" and [r[0] for r in rows[1:-1]] == [f"E{i:03d}" for i in range(1, n + 1)]
        assert rows[-1] == ["# seal", view.seal]
