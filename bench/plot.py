"""``latest.png``: throughput, latency, lag over time and CPU per case."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def render_plot(doc: dict, path: Path) -> None:
    kinds = list(doc["by_database"])
    fig, axes = plt.subplots(len(kinds), 3, figsize=(16, 4.6 * len(kinds)), squeeze=False)
    for row, kind in enumerate(kinds):
        runs = doc["by_database"][kind]["runs"]
        _throughput(axes[row][0], kind, runs)
        _latency(axes[row][1], kind, runs)
        _lag(axes[row][2], kind, runs)
    fig.suptitle(
        f"Tsunagi vs raw Redis + database baseline — {doc['generated_at']} "
        f"(commit {doc['machine']['commit']}, {doc['machine']['cpus']} CPUs)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _throughput(ax, kind: str, runs: dict) -> None:
    bars = [
        ("baseline", runs["baseline_full"]),
        (f"N={runs['small']['n']}", runs["small"]),
        (f"N={runs['large']['n']}", runs["large"]),
        ("case x2", runs.get("two_replicas")),
    ]
    bars = [(name, run["cases_per_s"] or 0) for name, run in bars if run]
    ax.bar([b[0] for b in bars], [b[1] for b in bars], color=["grey"] + ["tab:blue"] * (len(bars) - 1))
    for i, (_, value) in enumerate(bars):
        ax.annotate(f"{value:.0f}", (i, value), ha="center", va="bottom")
    ax.set_yscale("log")
    ax.set_title(f"{kind}: cases opened per second (full speed)")
    ax.set_ylabel("cases / s (log)")


def _latency(ax, kind: str, runs: dict) -> None:
    alone = runs.get("fixed_no_referrals")
    series = [
        ("Tsunagi 201 → case visible", runs["fixed"]["latency_201_to_case"], "tab:blue"),
        *([("the same, no referrals beside", alone["latency_201_to_case"], "tab:cyan")] if alone else []),
        ("baseline XADD → committed", runs["baseline_fixed"]["latency_xadd_to_commit"], "grey"),
    ]
    keys = ["p50_ms", "p95_ms", "p99_ms", "max_ms"]
    x = range(len(keys))
    width = 0.8 / len(series)
    for j, (label, lat, color) in enumerate(series):
        ax.bar(
            [i - 0.4 + width * (j + 0.5) for i in x], [lat[k] or 0 for k in keys], width=width, label=label, color=color
        )
    ax.set_xticks(list(x), [k.replace("_ms", "") for k in keys])
    ax.set_yscale("log")
    tallest = max((lat[k] or 0 for _, lat, _ in series for k in keys), default=0)
    if tallest > 0:
        ax.set_ylim(top=tallest * 20)  # room for the legend above the bars
    ax.set_ylabel("ms (log)")
    ax.set_title(f"{kind}: latency at {runs['fixed']['rate_per_s']}/s (half of saturation)")
    ax.legend(fontsize=8)


def _lag(ax, kind: str, runs: dict) -> None:
    for key, style in (("large", "-"), ("two_replicas", "--")):
        run = runs.get(key)
        if not run or not run["lag_series"]:
            continue
        ax.plot(
            [s["t"] for s in run["lag_series"]],
            [s["lag"] + s["pending"] for s in run["lag_series"]],
            style,
            label=run["label"],
        )
    ax.set_title(f"{kind}: consumer lag + pending, all groups")
    ax.set_xlabel("seconds since the first request")
    ax.set_ylabel("entries")
    ax.legend(fontsize=8)
