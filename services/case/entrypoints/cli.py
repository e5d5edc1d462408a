"""``tsunagi verify [--case ID] [--json]``: walks every case's timeline chain (or one
case's) and reports the first broken link of each case. Exit 0 only when every chain
verifies; 1 when any is broken; 3 when ``--case`` has no timeline at all."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from services.case.adapters.chain_key import timeline_key
from services.case.adapters.verify import verify_chains
from shared.db.engine import make_engine
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


def cmd_verify(args: argparse.Namespace) -> int:
    report = asyncio.run(verify_all(Settings(), [args.case] if args.case else []))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for case in report["broken"]:
            b = case["broken"]
            print(f"BROKEN {case['case_id']}  {b['kind']} at #{b['seq']}  {b['detail']}")
        verdict = "all verified" if report["intact"] else f"{len(report['broken'])} broken"
        print(f"{report['cases']} case(s), {report['entries']} entries: {verdict} ({report['seconds']} s)")
    if args.case and report["cases"] == 0:
        print(f"no timeline for case {args.case}", file=sys.stderr)
        return EXIT_NOT_FOUND
    return 0 if report["intact"] else EXIT_BROKEN


def add_case_commands(sub: Any) -> None:
    v = sub.add_parser("verify", help="verify the case timelines' hash chains (exit 0 only when all verify)")
    v.add_argument("--case", metavar="ID", help="only this case's chain (its case id)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_verify)
