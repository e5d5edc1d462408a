"""Writes ``latest.json`` (everything), ``latest.md`` (the tables the README quotes)
and ``latest.png`` (the plot)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path

from bench.stats import ratio


def headline(runs: dict) -> dict:
    """The figures the issue asks for: throughput at full speed (N), latency at half of
    Tsunagi's saturation (the same fixed rate for both)."""
    large, fixed, two = runs["large"], runs["fixed"], runs.get("two_replicas")
    base_full, base_fixed = runs["baseline_full"], runs["baseline_fixed"]
    t_lat, b_lat = fixed["latency_201_to_case"], base_fixed["latency_xadd_to_commit"]
    alone = (runs.get("fixed_no_referrals") or {}).get("latency_201_to_case")
    return {
        "tsunagi": {
            "cases_per_s": large["cases_per_s"],
            "accepted_per_s": large["accepted_per_s"],
            "settled_per_s": large.get("settled_per_s"),
            "p50_ms": t_lat["p50_ms"],
            "p95_ms": t_lat["p95_ms"],
            "p99_ms": t_lat["p99_ms"],
            "max_ms": t_lat["max_ms"],
            "latency_at_rate_per_s": fixed["rate_per_s"],
            "full_speed_p50_ms": large["latency_201_to_case"]["p50_ms"],
            "full_speed_p99_ms": large["latency_201_to_case"]["p99_ms"],
            # The same rate without the referral workflows beside the consultations.
            "no_referrals_p50_ms": alone["p50_ms"] if alone else None,
            "no_referrals_p99_ms": alone["p99_ms"] if alone else None,
            "referral_to_inbox": fixed["referrals"]["latency_requested_to_inbox"],
            "two_case_replicas_cases_per_s": two["cases_per_s"] if two else None,
        },
        "baseline": {
            "cases_per_s": base_full["cases_per_s"],
            "p50_ms": b_lat["p50_ms"],
            "p95_ms": b_lat["p95_ms"],
            "p99_ms": b_lat["p99_ms"],
            "max_ms": b_lat["max_ms"],
            "latency_at_rate_per_s": base_fixed["rate_per_s"],
            "full_speed_p50_ms": base_full["latency_xadd_to_commit"]["p50_ms"],
            "full_speed_p99_ms": base_full["latency_xadd_to_commit"]["p99_ms"],
        },
        "ratio": ratio(large["cases_per_s"], base_full["cases_per_s"]),
        "scaling": {
            "two_vs_one_case_replica": ratio(two["cases_per_s"], large["cases_per_s"]) if two else None,
            "load_10x_throughput_ratio": ratio(large["cases_per_s"], runs["small"]["cases_per_s"]),
            "load_10x_cpu_ms_per_case": {"small": runs["small"]["cpu_ms_per_case"], "large": large["cpu_ms_per_case"]},
        },
        "peak_rss_mb": {
            **large["peak_rss_mb"],
            **({f"{k} (2 replicas)": v for k, v in two["peak_rss_mb"].items() if k.startswith("case")} if two else {}),
        },
    }


def machine() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
        "load_average_at_end": os.getloadavg(),
    }


def write_results(out: Path, by_database: dict, args: argparse.Namespace, *, seconds: float) -> list[Path]:
    primary = by_database.get("sqlite") or next(iter(by_database.values()))
    document = {
        **primary["headline"],
        "database": "sqlite" if "sqlite" in by_database else next(iter(by_database)),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bench_seconds": round(seconds, 1),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine(),
        "notes": [
            "cases_per_s: consultations whose case.opened reached Redis, per second from the first request "
            "to the last case (full speed, N). settled_per_s: the same N over the time until every consumer "
            "group was idle again (notify, intake, referral done too): the rate the whole system sustains.",
            "half of saturation: half of min(cases_per_s, settled_per_s) of the N run.",
            "p50/p99 (tsunagi): intake's 201 -> case.opened entry in Redis (the case row is committed before),"
            " at a fixed rate of half the saturation; baseline: XADD answered -> row committed, same rate.",
            "ratio: tsunagi cases_per_s / baseline cases_per_s, measured in the same run on the same Redis "
            "and database kind. The machine is shared and noisy: compare ratios, not bare times.",
        ],
        "by_database": by_database,
    }
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = out / "latest.json", out / "latest.md", out / "latest.png"
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    from bench.markdown import render_markdown

    md_path.write_text(render_markdown(document), encoding="utf-8")
    paths = [json_path, md_path]
    try:
        from bench.plot import render_plot
    except ImportError as exc:  # matplotlib is in the bench extra, not in dev
        document["plot_error"] = f"{exc}; install with pip install -e '.[bench]'"
        json_path.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    else:
        render_plot(document, png_path)
        paths.append(png_path)
    return paths
