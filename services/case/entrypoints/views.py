"""Shaping rows into answers: JST times, the timeline's CSV. No business rules."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.case.domain.queue import age_days
from services.case.domain.referrals import STATUS_LABELS
from services.case.domain.timeline import LABELS, chain
from services.case.domain.waits import Wait
from services.case.entrypoints.schemas import (
    Attention,
    CaseDetail,
    CaseSummary,
    ShareOption,
    Timeline,
    TimelineActor,
    TimelineEntry,
    WaitOut,
)
from shared.clock import as_utc, jst_text


def _jst(value: datetime | None) -> str | None:
    return jst_text(value) if value else None


def _attention(referrals: list[dict[str, Any]]) -> list[Attention]:
    return [
        Attention(
            referral_id=r["id"],
            agency_id=r["agency_id"],
            reason=r["decline_reason"] or "(理由なし)",
            declined_at_jst=_jst(r["declined_at"]),
        )
        for r in referrals
    ]


def _waits(waits: list[Wait]) -> list[WaitOut]:
    return [
        WaitOut(step=w.step, label=w.label, since_jst=jst_text(w.since), amount=w.amount, unit=w.unit, text=w.text)
        for w in waits
    ]


def summary(case: dict[str, Any], now: datetime) -> CaseSummary:
    opened = as_utc(case["opened_at"])
    attention = case.get("attention", [])
    return CaseSummary(
        id=case["id"],
        case_number=case["case_number"],
        area=case["area"],
        school_district=case["school_district"],
        status=case["status"],
        stage=case["stage"],
        priority=case["priority"],
        categories=case["categories"],
        coordinator_id=case["coordinator_id"],
        needs_attention=bool(attention),
        attention=_attention(attention),
        decision_needed=case.get("decision_needed_at") is not None,
        waits=_waits(case.get("waits", [])),
        opened_at=opened,
        opened_at_jst=jst_text(opened),
        age_days=age_days(opened, now),
        merged_into=case["merged_into"],
        sample=case["sample"],
        version=case["version"],
    )


def _with_jst(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        shaped = dict(row)
        for key in keys:
            if shaped.get(key) is not None:
                shaped[key] = as_utc(shaped[key]).isoformat()
                shaped[f"{key}_jst"] = jst_text(row[key])
        out.append(shaped)
    return out


def detail(case: dict[str, Any], now: datetime) -> CaseDetail:
    referrals = _with_jst(
        case["referrals"], "requested_at", "received_at", "acknowledged_at", "accepted_at", "declined_at", "updated_at"
    )
    for r in referrals:
        r["status_label"] = STATUS_LABELS.get(r["status"], r["status"])
        r.pop("status_event_id", None)
    return CaseDetail(
        **summary(case, now).model_dump(),
        consent=case["consent"],
        legal_ground=case["legal_ground"],
        person=case["person"],
        channel=case["channel"],
        received_at_jst=_jst(case["received_at"]),
        assigned_at_jst=_jst(case["assigned_at"]),
        triaged_at_jst=_jst(case["triaged_at"]),
        decision_needed_at_jst=_jst(case["decision_needed_at"]),
        first_contact_at_jst=_jst(case["first_contact_at"]),
        first_handoff_at_jst=_jst(case["first_handoff_at"]),
        closed_at_jst=_jst(case["closed_at"]),
        merged_cases=case["merged_cases"],
        consultations=_with_jst(case["consultations"], "received_at"),
        household=_with_jst(case["household"], "added_at"),
        referrals=referrals,
        contacts=_with_jst(case["contacts"], "contacted_at", "recorded_at"),
        contacts_total=case["contacts_total"],
        notes=_with_jst(case["notes"], "created_at"),
        notes_total=case["notes_total"],
        link_offers=_with_jst(case["link_offers"], "created_at"),
        allowed_statuses=case["allowed_statuses"],
        referable=case["referable_reason"] is None,
        referable_reason=case["referable_reason"],
        share_options=[ShareOption(**asdict(option)) for option in case["share_options"]],
    )


def timeline(case: dict[str, Any], entries: list[dict[str, Any]]) -> Timeline:
    shaped = [
        TimelineEntry(
            event_id=e["event_id"],
            case_id=e["case_id"],
            type=e["type"],
            kind=e["type"].split(".", 1)[0],
            label=LABELS.get(e["type"], e["type"]),
            occurred_at=e["occurred_at"],
            occurred_at_jst=jst_text(e["occurred_at"]),
            actor=TimelineActor(role=e["actor_role"], id=e["actor_id"]),
            correlation_id=e["correlation_id"],
            causation_id=e["causation_id"],
            summary=e["summary"],
            content_hash=e["content_hash"],
            intact=e["intact"],
            seq=e["seq"],
            chain_hmac=e["chain_hmac"],
            erased_at=e["erased_at"],
        )
        for e in entries
    ]
    return Timeline(
        case_id=case["id"], case_number=case["case_number"], items=shaped, seal=chain([e.content_hash for e in shaped])
    )


CSV_COLUMNS = (
    "event_id",
    "occurred_at",
    "occurred_at_jst",
    "type",
    "label",
    "actor_role",
    "actor_id",
    "case_id",
    "correlation_id",
    "causation_id",
    "summary",
    "content_hash",
    "intact",
    "seq",
    "chain_hmac",
    "erased_at",
)


def timeline_csv(view: Timeline, rows_a_chunk: int = 200) -> Iterator[bytes]:
    """The export in UTF-8 with a BOM (spreadsheets), ``rows_a_chunk`` rows a chunk: the
    answer is streamed instead of built whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i, e in enumerate(view.items, start=1):
        row = e.model_dump(mode="json")
        row["actor_role"], row["actor_id"] = e.actor.role, e.actor.id
        row["summary"] = json.dumps(e.summary, ensure_ascii=False, sort_keys=True)
        writer.writerow([row[c] for c in CSV_COLUMNS])
        if i % rows_a_chunk == 0:
            yield _drain(buffer, first=i == rows_a_chunk)
    writer.writerow(["# seal", view.seal])
    yield _drain(buffer, first=len(view.items) < rows_a_chunk)


def _drain(buffer: io.StringIO, first: bool) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8-sig" if first else "utf-8")


READ_COLUMNS = ("read_at", "read_at_jst", "reader_role", "reader_id", "what", "case_id", "referral_id")


def reads_csv(items: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(READ_COLUMNS)
    for item in items:
        writer.writerow([item[c] or "" for c in READ_COLUMNS])
    return buffer.getvalue()
