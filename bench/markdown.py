"""``latest.md``: the tables, from the results document."""

from __future__ import annotations


def _row(cells: list) -> str:
    return "| " + " | ".join("–" if c is None else str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows), ""]


def _latency(run: dict) -> dict:
    return run.get("latency_201_to_case") or run.get("latency_xadd_to_commit") or {}


def headline_table(h: dict) -> list[str]:
    t, b = h["tsunagi"], h["baseline"]
    rate = t["latency_at_rate_per_s"]
    return _table(
        ["", "Tsunagi", "transport floor (raw baseline)", "Tsunagi / baseline"],
        [
            ["cases opened per s (full speed)", t["cases_per_s"], b["cases_per_s"], h["ratio"]],
            ["work settled per s (every consumer idle again)", t.get("settled_per_s"), None, None],
            [f"p50 ms at {rate}/s (half of saturation)", t["p50_ms"], b["p50_ms"], None],
            [f"p95 ms at {rate}/s", t["p95_ms"], b["p95_ms"], None],
            [f"p99 ms at {rate}/s", t["p99_ms"], b["p99_ms"], None],
            [f"max ms at {rate}/s", t["max_ms"], b["max_ms"], None],
            [
                f"p50 / p99 ms at {rate}/s without the referrals",
                f"{t['no_referrals_p50_ms']} / {t['no_referrals_p99_ms']}"
                if t.get("no_referrals_p99_ms") is not None
                else None,
                None,
                None,
            ],
            [
                "p50 / p99 ms at full speed",
                f"{t['full_speed_p50_ms']} / {t['full_speed_p99_ms']}",
                f"{b['full_speed_p50_ms']} / {b['full_speed_p99_ms']}",
                None,
            ],
        ],
    )


def runs_table(runs: dict) -> list[str]:
    rows = []
    for run in runs.values():
        if not run:
            continue
        lat = _latency(run)
        rows.append(
            [
                run["label"],
                run["n"],
                run["mode"] + (f" {run['rate_per_s']}/s" if run["rate_per_s"] else ""),
                run.get("accepted_per_s", run.get("xadd_per_s")),
                run["cases_per_s"],
                run.get("settled_per_s"),
                lat.get("p50_ms"),
                lat.get("p95_ms"),
                lat.get("p99_ms"),
                lat.get("max_ms"),
                run.get("missing_cases", 0),
            ]
        )
    return _table(
        ["run", "N", "mode", "accepted/s", "cases/s", "settled/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "missing"],
        rows,
    )


def breakdown_table(runs: dict) -> list[str]:
    rows = []
    for key in ("small", "large", "fixed", "fixed_no_referrals", "two_replicas"):
        run = runs.get(key)
        if not run:
            continue
        a, b, c = (
            run["http_201_ms"],
            run["latency_201_to_submitted_in_stream"],
            run["latency_submitted_to_case_opened"],
        )
        rows.append(
            [
                run["label"],
                f"{a['p50_ms']} / {a['p99_ms']}",
                f"{b['p50_ms']} / {b['p99_ms']}",
                f"{c['p50_ms']} / {c['p99_ms']}",
            ]
        )
    return _table(
        [
            "run",
            "HTTP POST → 201 (p50 / p99 ms)",
            "201 → consultation.submitted in Redis",
            "consultation.submitted → case.opened",
        ],
        rows,
    )


def resources_table(runs: dict) -> list[str]:
    """Peak memory, and CPU per case at each load: at a fixed rate the batches are small,
    so a case costs more than at full speed (each batch's fixed cost is shared by fewer);
    the fixed-rate run's referral workflows are counted per case too."""
    large, small, fixed = runs["large"], runs["small"], runs["fixed"]
    loads = [(f"N={small['n']}", small), (f"N={large['n']}", large), (f"{fixed['rate_per_s']}/s", fixed)]
    if runs.get("fixed_no_referrals"):
        loads.append((f"{fixed['rate_per_s']}/s, no referrals", runs["fixed_no_referrals"]))
    names = list(dict.fromkeys([*large["peak_rss_mb"], *large["cpu_ms_per_case"]]))  # + the PostgreSQL server
    rows = [[n, large["peak_rss_mb"].get(n), *(run["cpu_ms_per_case"].get(n) for _, run in loads)] for n in names]
    total = ["all of them", None] + [round(sum(v for v in run["cpu_ms_per_case"].values() if v), 1) for _, run in loads]
    header = ["process", "peak RSS MB (VmHWM)", *(f"CPU ms per case, {label}" for label, _ in loads)]
    return _table(header, rows + [total])


def groups_table(runs: dict) -> list[str]:
    rows = []
    for key in ("large", "fixed", "two_replicas"):
        run = runs.get(key)
        if not run:
            continue
        for group, peak in sorted(run["consumer_groups"].items()):
            rows.append([run["label"], group, peak["max_lag"], peak["max_pending"]])
    return _table(["run", "stream:group", "max lag", "max pending"], rows)


def profile_lines(profile: dict) -> list[str]:
    lines: list[str] = []
    if not profile:
        return lines
    if "error" in profile:
        return [f"Profile: {profile['error']}", ""]
    run = profile["run"]
    lines += [
        f"Profiled run: {run['cases_per_s']} cases/s under py-spy (200 Hz, `--gil`: samples only while a thread "
        "holds the GIL, i.e. Python CPU; SQLite's C work and idle waits are left out).",
        "",
    ]
    for service in ("intake", "case"):
        p = profile.get(service) or {}
        if "error" in p:
            lines += [f"{service}: {p['error']}", ""]
            continue
        lines += [
            f"**{service}**: {p['busy_cpu_s']} CPU-s busy in the run (start-up imports, "
            f"{p['startup_import_cpu_s']} CPU-s, left out).",
            "",
        ]
        lines += _table(["package (self time)", "%"], [[k, v] for k, v in list(p["by_package_self_pct"].items())[:10]])
        lines += _table(["leaf function (self time)", "%"], [[k, v] for k, v in list(p["top_self_pct"].items())[:12]])
        lines += _table(
            ["Tsunagi function (inclusive)", "%"],
            [[k, v] for k, v in list(p["tsunagi_functions_inclusive_pct"].items())[:15]],
        )
    return lines


def render_markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [
        f"# Tsunagi benchmark — {doc['generated_at']}",
        "",
        f"Commit `{m['commit']}`, {m['cpus']} CPUs, Python {m['python']}, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_at_end'])}; the whole bench took "
        f"{doc['bench_seconds']} s. Shared, noisy machine: read the ratios.",
        "",
    ]
    from bench.markdown_work import floor_lines, mixed_lines, summary_lines

    if doc.get("summary"):
        lines += summary_lines(doc["summary"])
    for kind, result in doc["by_database"].items():
        h, runs = result["headline"], result["runs"]
        lines += [f"## {kind}", "", *headline_table(h)]
        lines += [
            "Scaling: 2 vs 1 case replica = ×"
            + str(h["scaling"]["two_vs_one_case_replica"])
            + "; 10× load → throughput ×"
            + str(h["scaling"]["load_10x_throughput_ratio"])
            + ".",
            "",
        ]
        ref = h["tsunagi"]["referral_to_inbox"]
        lines += [
            f"Referral requested (201) → referral.received (in the agency's inbox), {ref['count']} referrals: "
            f"p50 {ref['p50_ms']} ms, p99 {ref['p99_ms']} ms, max {ref['max_ms']} ms.",
            "",
        ]
        check = runs["fixed"]["http_visibility_check"]
        lines += [
            f"HTTP check: {check['visible']} of {check['checked']} cases read over `GET /v1/cases/{{id}}` "
            "as soon as their case.opened entry was seen (at most "
            f"{check.get('read_after_entry_ms_max')} ms after the entry) were already visible.",
            "",
        ]
        lines += [*floor_lines(h), *mixed_lines(h)]
        lines += ["### All runs", "", *runs_table(runs)]
        lines += ["### Where the latency goes", "", *breakdown_table(runs)]
        lines += ["### Consumer lag and pending (peaks during the run)", "", *groups_table(runs)]
        lines += ["### Memory and CPU per process", "", *resources_table(runs)]
        lines += ["### Profile", "", *profile_lines(result.get("profile") or {})]
    return "\n".join(lines) + "\n"
