"""Pure parts of the operator tooling: dead-letter encoding, stream ids, and how
``tsunagi check`` classifies one event and judges a causal rule."""

from __future__ import annotations

from shared.messaging.consistency_judge import classify, judge_rule
from shared.messaging.consistency_report import CausalRule, Flow, OutboxRow, Report
from shared.messaging.consistency_text import render
from shared.messaging.deadletter import DeadLetter, dead_letter_entry, decode_fields, encode_fields
from shared.messaging.retention import parse_id


def test_original_fields_round_trip_byte_for_byte() -> None:
    fields = {b"__data__": bytes(range(256)), b"x": "相談".encode()}
    assert decode_fields(encode_fields(fields)) == fields


def test_a_dead_letter_keeps_the_envelope_or_says_it_could_not_decode_it() -> None:
    entry = dead_letter_entry(
        service="case",
        stream="tsunagi.case",
        message_id=b"1-0",
        fields={b"junk": b"x"},
        attempts=5,
        error="ValueError: no __data__",
    )
    letter = DeadLetter("case", "9-0", {k.decode(): v.decode() for k, v in entry.items()})
    assert letter.ref == "case/9-0" and letter.get("attempts") == "5"
    assert "undecodable" in letter.envelope
    assert letter.original_fields == {b"junk": b"x"}


def test_stream_ids_compare_numerically() -> None:
    assert parse_id("10-0") > parse_id("9-5") and parse_id(b"9-5") > parse_id("9-0")


def _row(event_id: str, published: bool = True) -> OutboxRow:
    return OutboxRow(event_id, "case.opened", published, None)


def test_classification_of_one_published_event() -> None:
    flow = Flow("case", "case.opened", "intake")
    group = ("5-0", {"4-0"}, 1)  # last delivered 5-0; 4-0 still pending
    classify(flow, _row("applied"), {"applied": "case.opened"}, set(), ["1-0"], group)
    classify(flow, _row("dead"), {}, {"dead"}, ["2-0"], group)
    classify(flow, _row("outbox", published=False), {}, set(), None, group)
    classify(flow, _row("pending"), {}, set(), ["4-0"], group)
    classify(flow, _row("unread"), {}, set(), ["6-0"], group)
    classify(flow, _row("nogroup"), {}, set(), ["6-0"], None)
    classify(flow, _row("acked"), {}, set(), ["3-0"], group)
    classify(flow, _row("trimmed"), {}, set(), None, group)
    # Retention erased it (entries deleted) before this consumer applied it: not lost.
    classify(flow, OutboxRow("erased", "case.opened", True, None, erased=True), {}, set(), None, group)
    # Erased after it was applied, or erased while still in the outbox: as before.
    classify(flow, OutboxRow("old", "case.opened", True, None, erased=True), {"old": "case.opened"}, set(), None, group)
    classify(flow, OutboxRow("unsent", "case.opened", False, None, erased=True), {}, set(), None, group)
    assert (flow.applied, flow.dead_lettered, flow.in_flight, flow.erased) == (2, 1, 5, 1)
    assert flow.lost == ["acked", "trimmed"]


def test_a_causal_rule_finds_missing_and_doubled_effects() -> None:
    rule = CausalRule("consultation.submitted", "case", ("case.opened", "case.consultation_linked"), "one case")
    inbox = {
        "c1": "consultation.submitted",
        "c2": "consultation.submitted",
        "c3": "consultation.submitted",
        "x": "referral.accepted",
    }
    outbox = [
        OutboxRow("e1", "case.opened", True, "c1"),
        OutboxRow("e2", "case.consultation_linked", True, "c2"),
        OutboxRow("e3", "case.opened", True, "c2"),
        OutboxRow("e4", "case.stage_changed", True, "c3"),
    ]
    result = judge_rule(rule, inbox, outbox)
    assert result.causes == 3 and result.missing == ["c3"] and result.duplicated == ["c2"]


def test_the_report_reads_as_a_verdict() -> None:
    report = Report(flows=[Flow("intake", "consultation.submitted", "case", published=3, applied=2, lost=["e9"])])
    text = render(report)
    assert "consultation.submitted (intake → case)" in text
    assert "LOST consultation.submitted e9" in text and text.endswith("PROBLEM: 1 lost, 0 duplicated")
    assert render(Report()).endswith("OK: nothing lost, nothing applied twice")
    erased = render(Report(flows=[Flow("case", "case.status_changed", "notify", published=2, applied=1, erased=1)]))
    assert "1 event(s) erased by retention" in erased and erased.endswith("OK: nothing lost, nothing applied twice")
