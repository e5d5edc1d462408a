"""``make bench`` keeps working: the benchmark run end to end with a tiny N (the whole
system as processes, the raw baseline, both scaling configurations), checking that it
writes its results and their keys. Benchmarks are not tests: no timing is asserted."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.settings import PROJECT_ROOT


@pytest.mark.skipif(
    not (PROJECT_ROOT / "services" / "case" / "bootstrap.py").exists(),
    reason="the case service (services/case/bootstrap.py) does not exist yet",
)
def test_bench_runs_end_to_end_with_a_tiny_n(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TSUNAGI_DATABASE_URL"}  # SQLite only: keep it short
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--n",
            "5",
            "--referrals",
            "2",
            "--fixed-seconds",
            "1",
            "--no-profile",
            "--mixed-seconds",
            "0.2",
            "--realistic",
            "20",
            "--out",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    for side in ("tsunagi", "baseline"):
        assert {"cases_per_s", "p50_ms", "p99_ms"} <= set(results[side]), results[side]
    assert "ratio" in results
    runs = results["by_database"]["sqlite"]["runs"]
    assert {"baseline_full", "baseline_fixed", "small", "large", "fixed", "fixed_no_referrals", "two_replicas"} <= set(
        runs
    )
    assert runs["large"]["accepted"] == 5  # every consultation was answered 201…
    assert runs["large"]["cases_opened"] == 5  # …and became a case
    assert runs["fixed"]["referrals"]["requested"] == 2
    alone = runs["fixed_no_referrals"]  # the same rate and count, nothing referred
    assert (alone["rate_per_s"], alone["n"]) == (runs["fixed"]["rate_per_s"], runs["fixed"]["n"])
    assert alone["referrals"]["requested"] == 0 and alone["cases_opened"] == alone["n"]
    check = runs["large"]["http_visibility_check"]  # read during the run, once case.opened was seen
    assert check["checked"] == 5 and check["visible"] == 5, check
    assert "case" in results["peak_rss_mb"]
    # The equivalent-work floor did the same work: the same rows in the same tables and
    # the same stream entries for the same consultations.
    work = results["work_tsunagi_vs_floor"]
    assert work["consultations"] == [5, 5]
    assert work["rows"]["case.cases"] == [5, 5] and work["rows"]["intake.outbox"] == [5, 5]
    assert work["stream_entries"]["tsunagi.consultation"] == [5, 5]
    assert runs["floor"]["cases_opened"] == 5 and results["equivalent_floor_ratio"]
    assert runs["mixed"]["reads"]["rate_per_s"] == 10.0 and runs["mixed"]["cases_opened"] == runs["mixed"]["accepted"]
    assert results["realistic"]["consultations"] == 20
    assert set(results["summary"]) >= {
        "equivalent_floor_ratio",
        "mixed_rate_per_s",
        "mixed_p99_ms",
        "reads_cases",
        "reads_p95_ms",
        "figures_p95_ms",
        "loop_block_max_ms",
        "likely_offers_per_consultation",
        "case_rss_mb",
        "commit",
    }

    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "Tsunagi / baseline" in markdown and "### All runs" in markdown
    if importlib.util.find_spec("matplotlib") is not None:  # in the bench extra only
        assert (tmp_path / "latest.png").stat().st_size > 0
    else:
        assert "plot_error" in results
