"""A case's times start at intake's receipt, carried on ``consultation.submitted``: not
when the case service handled it; an older event without it starts at intake's
publishing; never after the case service's now."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.case.handlers.new_cases import received_at
from shared.events import SYSTEM, ConsultationSubmitted, Envelope
from shared.settings import PROJECT_ROOT

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
PUBLISHED = datetime(2026, 11, 20, 7, 0, 30, tzinfo=UTC)
HANDLED = datetime(2026, 11, 20, 7, 5, tzinfo=UTC)


def submitted(**extra: str) -> tuple[Envelope, ConsultationSubmitted]:
    payload = ConsultationSubmitted(
        consultation_id="01JCONSULTATION0000000000",
        reference="TSN-2611-ABCDEF",
        reporter_id="vol-1",
        **EXAMPLE,
        **extra,
    )
    envelope = Envelope.wrap(payload, aggregate_id="c", actor=SYSTEM, correlation_id="x", occurred_at=PUBLISHED)
    return envelope, payload


def test_the_receipt_the_event_carries() -> None:
    envelope, payload = submitted(received_at="2026-11-20T07:00:00+00:00")
    assert received_at(envelope, payload, HANDLED) == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def test_an_older_event_starts_when_intake_published_it() -> None:
    assert received_at(*submitted(), HANDLED) == PUBLISHED


def test_a_receipt_ahead_of_the_case_services_clock_is_now() -> None:
    envelope, payload = submitted(received_at="2026-11-20T07:10:00+00:00")
    assert received_at(envelope, payload, HANDLED) == HANDLED
