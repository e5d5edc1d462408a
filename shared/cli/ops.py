"""Operator commands: the dead-letter streams and the consistency check.

    tsunagi dlq list [--service S] [--json]
    tsunagi dlq show REF [--json] [--sealed]       REF is <service>/<entry id> (or the bare id);
                                                   personal fields opened with the key ring
    tsunagi dlq replay REF... | --all [--service S]
    tsunagi dlq discard REF --reason TEXT
    tsunagi dlq history [--count N]                replays and discards, newest first
    tsunagi check [--json] [--wait SECONDS] [--strict]

They read ``Settings()`` from the environment (``TSUNAGI_REDIS_URL``,
``TSUNAGI_DATABASE_URL``, ``TSUNAGI_DATA_DIR``) — the same as the services."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from shared.clock import jst_text
from shared.settings import SERVICES, Settings

EXIT_PROBLEM = 1  # something was lost or applied twice (check); a replay failed (dlq)
EXIT_UNSETTLED = 2  # --strict: still in flight after --wait, or dead letters remain
EXIT_NOT_FOUND = 3


def operator() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "operator"
    return os.environ.get("TSUNAGI_OPERATOR") or login


def _run(body: Callable[[Settings, Redis], Awaitable[int]]) -> int:
    async def main() -> int:
        settings = Settings()
        redis = Redis.from_url(settings.effective_redis_url(), socket_connect_timeout=5)
        try:
            return await body(settings, redis)
        finally:
            await redis.aclose()

    return asyncio.run(main())


def _when(iso: str) -> str:
    from datetime import datetime

    try:
        return jst_text(datetime.fromisoformat(iso))
    except ValueError:
        return iso


# dlq --------------------------------------------------------------------------------


def cmd_dlq_list(args: argparse.Namespace) -> int:
    from shared.messaging.deadletter import list_dead_letters

    async def body(_settings: Settings, redis: Redis) -> int:
        letters = await list_dead_letters(redis, [args.service] if args.service else SERVICES)
        if args.json:
            print(json.dumps([d.as_dict() for d in letters], ensure_ascii=False, indent=2))
            return 0
        if not letters:
            print("no dead letters")
            return 0
        print(f"{'REF':<28} {'EVENT TYPE':<26} {'TRIES':>5}  {'DEAD-LETTERED':<23} ERROR")
        for d in letters:
            print(
                f"{d.ref:<28} {d.get('event_type'):<26} {d.get('attempts'):>5}  "
                f"{_when(d.get('dead_lettered_at')):<23} {' '.join(d.get('error').split())[:70]}"
            )
        print(f"{len(letters)} dead letter(s); `tsunagi dlq show REF` for one, `replay` or `discard` to resolve")
        return 0

    return _run(body)


def cmd_dlq_show(args: argparse.Namespace) -> int:
    from shared.keyring import KeyRing
    from shared.messaging.deadletter import find_dead_letter

    async def body(settings: Settings, redis: Redis) -> int:
        letter = await find_dead_letter(redis, args.ref, SERVICES)
        if letter is None:
            print(f"no dead letter {args.ref}", file=sys.stderr)
            return EXIT_NOT_FOUND
        envelope, how = (
            (letter.envelope, "left sealed (--sealed)")
            if args.sealed
            else letter.opened_envelope(KeyRing.from_settings(settings))
        )
        if args.json:
            print(json.dumps(letter.as_dict(envelope), ensure_ascii=False, indent=2))
            return 0
        print(
            f"dead letter    {letter.ref}\n"
            f"event          {letter.get('event_type')} {letter.get('event_id')}\n"
            f"from           {letter.get('stream')} entry {letter.get('message_id')} (group {letter.get('group')})\n"
            f"attempts       {letter.get('attempts')}\n"
            f"dead-lettered  {_when(letter.get('dead_lettered_at'))}\n"
            f"error\n  " + letter.get("error").replace("\n", "\n  ") + "\n"
            f"envelope (personal fields {how})\n  "
            + json.dumps(envelope, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        )
        return 0

    return _run(body)


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    from shared.messaging.deadletter import find_dead_letter, list_dead_letters
    from shared.messaging.replay import replay

    if not args.refs and not args.all:
        print("name the dead letters to replay, or --all", file=sys.stderr)
        return 2

    async def body(settings: Settings, redis: Redis) -> int:
        services = [args.service] if args.service else list(SERVICES)
        if args.all:
            letters = await list_dead_letters(redis, services)
        else:
            letters = []
            for ref in args.refs:
                found = await find_dead_letter(redis, ref, services)
                if found is None:
                    print(f"no dead letter {ref}", file=sys.stderr)
                    return EXIT_NOT_FOUND
                letters.append(found)
        failed = 0
        for letter in letters:
            outcome = await replay(settings, redis, letter, by=args.by)
            if not outcome.ok:
                failed += 1
                first_line = outcome.error.splitlines()[0] if outcome.error else "unknown error"
                print(f"{letter.ref} {letter.get('event_type')}: still failing, kept: {first_line[:160]}")
            else:
                print(
                    f"{letter.ref} {letter.get('event_type')}: "
                    f"{'applied' if outcome.applied else 'already applied, nothing changed'}"
                )
        print(f"replayed {len(letters) - failed} of {len(letters)}")
        return EXIT_PROBLEM if failed else 0

    return _run(body)


def cmd_dlq_discard(args: argparse.Namespace) -> int:
    from shared.messaging.deadletter import find_dead_letter, resolve

    async def body(_settings: Settings, redis: Redis) -> int:
        letter = await find_dead_letter(redis, args.ref, SERVICES)
        if letter is None:
            print(f"no dead letter {args.ref}", file=sys.stderr)
            return EXIT_NOT_FOUND
        if not await resolve(redis, letter, outcome="discarded", by=args.by, reason=args.reason):
            print(f"{letter.ref} was resolved by someone else meanwhile", file=sys.stderr)
            return EXIT_NOT_FOUND
        print(
            f"discarded {letter.ref} ({letter.get('event_type')} {letter.get('event_id')}) by {args.by}: {args.reason}"
        )
        return 0

    return _run(body)


def cmd_dlq_history(args: argparse.Namespace) -> int:
    from shared.messaging.deadletter import resolved_history

    async def body(_settings: Settings, redis: Redis) -> int:
        rows = await resolved_history(redis, args.count)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        for r in rows:
            print(
                f"{_when(r.get('resolved_at', '')):<23} {r.get('outcome', ''):<10} {r.get('dead_letter', ''):<28} "
                f"{r.get('event_type', ''):<24} by {r.get('by', '')}: {r.get('reason', '')}"
            )
        if not rows:
            print("nothing resolved yet")
        return 0

    return _run(body)


# check ------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from shared.messaging.consistency import gather
    from shared.messaging.consistency_text import render

    async def body(settings: Settings, redis: Redis) -> int:
        deadline = time.monotonic() + args.wait
        report = await gather(settings, redis)
        while report.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            report = await gather(settings, redis)
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json else render(report))
        if not report.ok:
            return EXIT_PROBLEM
        if args.strict and (report.in_flight or any(report.dead_letters.values())):
            return EXIT_UNSETTLED
        return 0

    return _run(body)


def add_ops_commands(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="list, show, replay or discard dead-lettered events")
    dsub = dlq.add_subparsers(dest="dlq_command", required=True)

    ls = dsub.add_parser("list", help="dead letters of every service (or one)")
    ls.add_argument("--service", choices=SERVICES)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_dlq_list)

    show = dsub.add_parser("show", help="one dead letter: error, attempts, the original envelope")
    show.add_argument("ref", help="<service>/<entry id> as `dlq list` prints it")
    show.add_argument("--json", action="store_true")
    show.add_argument("--sealed", action="store_true", help="show personal fields as stored (sealed)")
    show.set_defaults(func=cmd_dlq_show)

    rp = dsub.add_parser("replay", help="apply dead letters again through their service's consumer (once)")
    rp.add_argument("refs", nargs="*", metavar="REF")
    rp.add_argument("--all", action="store_true", help="every dead letter (of --service, if given)")
    rp.add_argument("--service", choices=SERVICES)
    rp.add_argument("--by", default=operator(), help="who replays (default: $TSUNAGI_OPERATOR or login)")
    rp.set_defaults(func=cmd_dlq_replay)

    dc = dsub.add_parser("discard", help="drop a dead letter for good; the reason is recorded")
    dc.add_argument("ref", metavar="REF")
    dc.add_argument("--reason", required=True)
    dc.add_argument("--by", default=operator(), help="who discards (default: $TSUNAGI_OPERATOR or login)")
    dc.set_defaults(func=cmd_dlq_discard)

    hist = dsub.add_parser("history", help="replays and discards, newest first")
    hist.add_argument("--count", type=int, default=50)
    hist.add_argument("--json", action="store_true")
    hist.set_defaults(func=cmd_dlq_history)

    check = sub.add_parser("check", help="consistency across services: lost, duplicated, in flight")
    check.add_argument("--json", action="store_true")
    check.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for outbox backlogs and pending entries to drain",
    )
    check.add_argument(
        "--strict", action="store_true", help="also fail (exit 2) when work is still in flight or dead letters remain"
    )
    check.set_defaults(func=cmd_check)
