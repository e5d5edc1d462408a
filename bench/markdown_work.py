"""``latest.md``'s tables for the equivalent-work floor (with the work both sides did),
the mixed run, the realistic mix and the summary."""

from __future__ import annotations

import json

from bench.markdown import _table


def summary_lines(summary: dict) -> list[str]:
    shown = {k: v for k, v in summary.items() if k != "by_database"}
    return ["## Summary", "", "```json", json.dumps(shown, ensure_ascii=False, indent=1), "```", ""]


def floor_lines(h: dict) -> list[str]:
    floor = h.get("equivalent_floor")
    if not floor:
        return []
    t = h["tsunagi"]
    work = h["work_tsunagi_vs_floor"]
    lines = ["### Against the equivalent-work floor (`bench/floor`)", ""]
    lines += _table(
        ["", "Tsunagi", "floor", "Tsunagi / floor"],
        [
            ["cases opened per s (full speed, N)", t["cases_per_s"], floor["cases_per_s"], h["equivalent_floor_ratio"]],
            [
                "201 → case opened p50 / p99 ms (full speed)",
                f"{t['full_speed_p50_ms']} / {t['full_speed_p99_ms']}",
                f"{floor['latency_201_to_case']['p50_ms']} / {floor['latency_201_to_case']['p99_ms']}",
                None,
            ],
        ],
    )
    pairs = h.get("equivalent_floor_pairs") or []
    if len(pairs) > 1:
        lines += [
            f"Tsunagi / floor in {len(pairs)} alternated pairs: {pairs}; median **{h['equivalent_floor_ratio']}**.",
            "",
        ]
    rows = [["consultations", *work["consultations"]], ["transactions committed", *work["transactions"]]]
    rows += [[f"rows: {name}", *pair] for name, pair in work["rows"].items()]
    rows += [[f"stream entries: {name}", *pair] for name, pair in work["stream_entries"].items()]
    rows += [[f"CPU ms per case: {name}", *pair] for name, pair in work.get("cpu_ms_per_case", {}).items()]
    lines += ["The work each side did in that run, counted afterwards:", ""]
    lines += _table(["", "Tsunagi", "floor"], rows)
    return lines


def mixed_lines(h: dict) -> list[str]:
    mixed, realistic = h.get("mixed"), h.get("realistic")
    lines = []
    if mixed:
        lat, reads = mixed["latency_201_to_case"], mixed["reads"]
        rows = [
            ["201 → visible in the queue", lat["count"], lat["p50_ms"], lat["p95_ms"], lat["p99_ms"], lat["max_ms"]]
        ]
        for name, label in (("queue_page_1", "queue, page 1"), ("case_detail", "case detail"), ("all", "all reads")):
            r = reads.get(name) or {}
            rows.append([label, r.get("count"), r.get("p50_ms"), r.get("p95_ms"), r.get("p99_ms"), r.get("max_ms")])
        ref = mixed["referral_to_inbox"]
        rows.append(["referral 201 → agency inbox", ref["count"], ref["p50_ms"], ref["p95_ms"], ref["p99_ms"], None])
        lines += [
            f"### Mixed run: {mixed['rate_per_s']} consultations/s, {mixed['reads_per_s']} reads/s, "
            f"{mixed['referrals']} referrals ({mixed['read_errors']} read errors)",
            "",
            *_table(["", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows),
        ]
    if realistic:
        lines += [
            f"Realistic mix: {realistic['consultations']} consultations opened {realistic['cases_opened']} cases, "
            f"{realistic['linked_to_an_open_case']} joined an open case, {realistic['likely_offers']} likely-match "
            f"offers: **{realistic['likely_offers_per_consultation']} per consultation**.",
            "",
        ]
    return lines
