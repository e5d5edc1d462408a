"""``python -m bench.run``'s options, and which databases they ask for."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None, description: str = "") -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--n", type=int, default=500, help="consultations in the large runs (small: N/10)")
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight at most")
    p.add_argument(
        "--rate", type=float, default=None, help="fixed rate per second (default: half of the measured saturation)"
    )
    p.add_argument(
        "--fixed-seconds",
        type=float,
        default=15.0,
        help="longest fixed-rate run: it sends N consultations, or fewer when N would take longer",
    )
    p.add_argument("--referrals", type=int, default=20, help="cases referred to an agency in the fixed-rate run")
    p.add_argument("--mixed-rate", type=float, default=50.0, help="consultations per second in the mixed run")
    p.add_argument("--mixed-seconds", type=float, default=20.0, help="how long the mixed run sends")
    p.add_argument("--mixed-reads-per-s", type=float, default=10.0, help="coordinators' reads per second beside it")
    p.add_argument("--mixed-referrals-per-s", type=float, default=1.0, help="referrals per second beside it")
    p.add_argument(
        "--realistic", type=int, default=2000, help="consultations of the realistic mix (likely-match offers)"
    )
    p.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="default: sqlite, plus postgresql when TSUNAGI_DATABASE_URL is set",
    )
    p.add_argument(
        "--floor-pairs",
        type=int,
        default=1,
        help="Tsunagi/floor pairs at N (fresh systems, alternated); the ratio is their median",
    )
    p.add_argument("--no-scaling", action="store_true", help="skip the 2-replica run")
    p.add_argument("--no-profile", action="store_true", help="skip the profiled run")
    p.add_argument("--out", type=Path, default=RESULTS, help="where latest.{json,md,png} go")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, databases)")
    return p.parse_args(argv)


def databases(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    url = os.environ.get("TSUNAGI_DATABASE_URL")
    wanted = args.database or ("both" if url else "sqlite")
    if wanted in ("postgresql", "both") and not url:
        raise SystemExit(
            "--database postgresql needs TSUNAGI_DATABASE_URL (a server the bench may create "
            "scratch databases on), e.g. postgresql://postgres@127.0.0.1:5432/postgres"
        )
    kinds: list[tuple[str, str | None]] = []
    if wanted in ("sqlite", "both"):
        kinds.append(("sqlite", None))
    if wanted in ("postgresql", "both"):
        kinds.append(("postgresql", url))
    return kinds
