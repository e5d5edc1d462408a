"""The case service's operator commands.

``tsunagi verify [--case ID] [--json]``: walks every case's timeline chain (or one
case's) and reports the first broken link of each case. Exit 0 only when every chain
verifies; 1 when any is broken; 3 when ``--case`` has no timeline at all.

``tsunagi retention run [--dry-run] [--json]``: erases the personal fields of every
closed case past the retention period (reference/retention.yaml) on the shared clock,
and the case's events this service keeps (outbox, streams, dead letters);
``case.retention_erased`` leaves through the case database's outbox (the running case
service's relay publishes it). ``--dry-run`` lists the cases and changes nothing.

``tsunagi figures rebuild [--json]``: projects every closed month's figures again from
the case data (services/case/adapters/figure_projection.py), one transaction a month;
safe beside the running service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from services.case.adapters.chain import CaseUnitOfWork, TimelineChain
from services.case.adapters.chain_key import timeline_key
from services.case.adapters.figure_projection import rebuild
from services.case.adapters.orm import messaging
from services.case.adapters.verify import verify_chains
from services.case.handlers.retention import run_retention
from shared.clock import Clock
from shared.db.engine import make_engine
from shared.keyring import KeyRing
from shared.messaging.broker import make_redis
from shared.reference import load_reference_data
from shared.settings import Settings

EXIT_BROKEN = 1
EXIT_NOT_FOUND = 3


async def verify_all(settings: Settings, case_ids: list[str]) -> dict[str, Any]:
    engine = make_engine(settings, "case", pool_size=1)
    started = time.perf_counter()
    cases = entries = 0
    broken: list[dict[str, Any]] = []
    try:
        async with engine.connect() as db:
            async for result in verify_chains(db, timeline_key(settings), case_ids):
                cases += 1
                entries += result.entries
                if not result.intact:
                    broken.append(result.as_dict())
    finally:
        await engine.dispose()
    return {
        "intact": not broken,
        "cases": cases,
        "entries": entries,
        "broken": broken,
        "seconds": round(time.perf_counter() - started, 3),
    }


async def verify(settings: Settings, case: str | None) -> tuple[int, dict[str, Any]]:
    """The exit code and the report of ``tsunagi verify [--case ID]``."""
    report = await verify_all(settings, [case] if case else [])
    if case and report["cases"] == 0:
        return EXIT_NOT_FOUND, report
    return (0 if report["intact"] else EXIT_BROKEN), report


def cmd_verify(args: argparse.Namespace) -> int:
    code, report = asyncio.run(verify(Settings(), args.case))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for case in report["broken"]:
            b = case["broken"]
            print(f"BROKEN {case['case_id']}  {b['kind']} at #{b['seq']}  {b['detail']}")
        verdict = "all verified" if report["intact"] else f"{len(report['broken'])} broken"
        print(f"{report['cases']} case(s), {report['entries']} entries: {verdict} ({report['seconds']} s)")
    if code == EXIT_NOT_FOUND:
        print(f"no timeline for case {args.case}", file=sys.stderr)
    return code


async def retention(settings: Settings, dry_run: bool) -> dict[str, Any]:
    engine = make_engine(settings, "case", pool_size=1)
    redis = make_redis(settings)
    chain, clock, keys = (
        TimelineChain(timeline_key(settings)),
        Clock.from_settings(settings),
        KeyRing.from_settings(settings),
    )
    try:
        return await run_retention(
            lambda: CaseUnitOfWork(engine, messaging, clock, keys=keys, chain=chain),
            load_reference_data(settings.reference_dir),
            redis,
            dry_run=dry_run,
        )
    finally:
        await redis.aclose()
        await engine.dispose()


def cmd_retention_run(args: argparse.Namespace) -> int:
    # The run's log lines (each erasure is logged) go to stderr; the report to stdout.
    with contextlib.redirect_stdout(sys.stderr):
        report = asyncio.run(retention(Settings(), args.dry_run))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        verb = "would erase" if args.dry_run else "erased"
        for case in report["cases"]:
            print(f"{verb} {case['case_number']} ({case['case_id']})")
        print(
            f"{len(report['cases'])} case(s) closed before {report['closed_before']} "
            f"({report['retention_years']} years): {verb}"
        )
    return 0


async def rebuild_figures(settings: Settings) -> dict[str, Any]:
    engine = make_engine(settings, "case", pool_size=1)
    started = time.perf_counter()
    try:
        months = await rebuild(engine, Clock.from_settings(settings).now())
    finally:
        await engine.dispose()
    return {
        "months": [m.text for m in months],
        "seconds": round(time.perf_counter() - started, 3),
    }


def cmd_figures_rebuild(args: argparse.Namespace) -> int:
    report = asyncio.run(rebuild_figures(Settings()))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        months = report["months"]
        span = f"{months[0]} to {months[-1]}" if months else "none (no cases yet)"
        print(f"{len(months)} closed month(s) projected: {span} ({report['seconds']} s)")
    return 0


def add_case_commands(sub: Any) -> None:
    v = sub.add_parser("verify", help="verify the case timelines' hash chains (exit 0 only when all verify)")
    v.add_argument("--case", metavar="ID", help="only this case's chain (its case id)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_verify)

    r = sub.add_parser("retention", help="retention (保存期間): erase closed cases past the period")
    rsub = r.add_subparsers(dest="retention_command", required=True)
    run = rsub.add_parser("run", help="erase the personal fields of closed cases past the retention period")
    run.add_argument("--dry-run", action="store_true", help="list the cases that are due; change nothing")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_retention_run)

    f = sub.add_parser("figures", help="the PDCA figures kept for closed months")
    fsub = f.add_subparsers(dest="figures_command", required=True)
    rb = fsub.add_parser("rebuild", help="project every closed month's figures again from the case data")
    rb.add_argument("--json", action="store_true")
    rb.set_defaults(func=cmd_figures_rebuild)
