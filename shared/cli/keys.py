"""The payload key ring (shared/keyring.py) for operators.

    tsunagi keys new                 a new ring, as TSUNAGI_PAYLOAD_KEYS takes it
    tsunagi keys rotate              a new current key; the old ones stay to open what they sealed
    tsunagi keys usage [--json]      which keys the outboxes, streams and dead letters still use
    tsunagi keys retire KEY_ID       drop a key nothing uses any more

Embedded mode changes ``<data_dir>/keys/payload-keys.json``; where the ring comes from
``TSUNAGI_PAYLOAD_KEYS`` (production), the commands print the new value to set. Either
way the services read the ring when they start: restart them after a change."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select

from shared.keyring import KeyRing, KeyRingError, key_file_path, key_ids_in
from shared.settings import SERVICES, Settings

EXIT_REFUSED = 2


def _change(settings: Settings, ring: KeyRing, what: str) -> int:
    if settings.payload_keys is not None:
        print(f"{what}. Set on every service, then restart them:")
        print(f"TSUNAGI_PAYLOAD_KEYS={ring.as_setting()}")
        print(f"TSUNAGI_PAYLOAD_KEY_ID={ring.current}")
        return 0
    if settings.mode != "embedded":
        print("test mode uses a fixed key; set TSUNAGI_PAYLOAD_KEYS to manage one", file=sys.stderr)
        return EXIT_REFUSED
    ring.save_file(key_file_path(settings))
    print(f"{what} in {key_file_path(settings)}; restart the services (`make up`) to use it")
    return 0


def cmd_keys_new(_args: argparse.Namespace) -> int:
    ring = KeyRing.new()
    print(f"TSUNAGI_PAYLOAD_KEYS={ring.as_setting()}")
    print(f"TSUNAGI_PAYLOAD_KEY_ID={ring.current}")
    return 0


def cmd_keys_rotate(_args: argparse.Namespace) -> int:
    settings = Settings()
    before = KeyRing.from_settings(settings)
    ring = before.rotated()
    if settings.payload_keys is not None:
        # In two steps: a service still without the new key could not open what it seals.
        print("1. Set on every service and restart them all (the new key opens, the old one still seals):")
        print(f"   TSUNAGI_PAYLOAD_KEYS={ring.as_setting()}")
        print(f"   TSUNAGI_PAYLOAD_KEY_ID={before.current}")
        print(f"2. Then seal with the new key: TSUNAGI_PAYLOAD_KEY_ID={ring.current}, and restart them again.")
        return 0
    old = ", ".join(k for k in ring.keys if k != ring.current)
    return _change(settings, ring, f"new current key {ring.current} (kept to open older values: {old})")


async def key_usage(settings: Settings) -> dict[str, Counter[str]]:
    """Sealed values per key id, per place: each service's outbox, each stream (the
    dead-letter streams and the record of resolved ones included)."""
    from shared.messaging.catalog import database_exists, load_service, service_engine
    from shared.messaging.streams import entries_of

    found: dict[str, Counter[str]] = {}
    redis = Redis.from_url(settings.effective_redis_url(), socket_connect_timeout=5)
    try:
        async for name in redis.scan_iter(match="tsunagi.*", _type="STREAM"):
            stream = name.decode()
            counts: Counter[str] = Counter()
            last = "-"
            while entries := entries_of(await redis.xrange(stream, min=last, max="+", count=500)):
                for _entry_id, fields in entries:
                    counts.update(k for value in fields.values() for k in key_ids_in(value.decode("utf-8", "replace")))
                last = "(" + entries[-1][0].decode()
            found[stream] = counts
    finally:
        await redis.aclose()
    for service in SERVICES:
        parts, _why = load_service(service, settings)
        if parts is None or not database_exists(settings, service):
            continue
        engine = service_engine(settings, service)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(parts.tables.outbox.c.envelope))
                found[f"{service} outbox"] = Counter(
                    k for (envelope,) in rows for k in key_ids_in(json.dumps(envelope))
                )
        finally:
            await engine.dispose()
    return found


def cmd_keys_usage(args: argparse.Namespace) -> int:
    settings = Settings()
    ring = KeyRing.from_settings(settings)
    usage = asyncio.run(key_usage(settings))
    totals: Counter[str] = Counter()
    for counts in usage.values():
        totals.update(counts)
    if args.json:
        print(json.dumps({"current": ring.current, "places": usage, "totals": totals}, indent=2))
        return 0
    for key_id in sorted(set(ring.keys) | set(totals)):
        role = "current" if key_id == ring.current else ("in the ring" if key_id in ring.keys else "NOT IN THE RING")
        places = ", ".join(f"{place} {n}" for place, counts in sorted(usage.items()) if (n := counts[key_id]))
        print(f"{key_id:<12} {role:<16} {totals[key_id]:>7} sealed value(s)  {places or 'unused: may be retired'}")
    return 0


def cmd_keys_retire(args: argparse.Namespace) -> int:
    settings = Settings()
    ring = KeyRing.from_settings(settings)
    if args.key_id not in ring.keys:
        print(f"{args.key_id} is not in the ring ({', '.join(ring.keys)})", file=sys.stderr)
        return EXIT_REFUSED
    in_use: dict[str, Any] = {p: c[args.key_id] for p, c in asyncio.run(key_usage(settings)).items() if c[args.key_id]}
    if in_use:
        where = ", ".join(f"{p} {n}" for p, n in sorted(in_use.items()))
        print(f"{args.key_id} still opens sealed values ({where}); kept", file=sys.stderr)
        return EXIT_REFUSED
    try:
        smaller = ring.without(args.key_id)
    except KeyRingError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    return _change(settings, smaller, f"retired {args.key_id}")


def add_keys_commands(sub: Any) -> None:
    keys = sub.add_parser("keys", help="the key ring that seals personal fields in events")
    ksub = keys.add_subparsers(dest="keys_command", required=True)
    ksub.add_parser("new", help="print a new ring for TSUNAGI_PAYLOAD_KEYS").set_defaults(func=cmd_keys_new)
    ksub.add_parser("rotate", help="a new current key; old keys stay").set_defaults(func=cmd_keys_rotate)
    usage = ksub.add_parser("usage", help="which keys outboxes, streams and dead letters still use")
    usage.add_argument("--json", action="store_true")
    usage.set_defaults(func=cmd_keys_usage)
    retire = ksub.add_parser("retire", help="drop a key nothing uses any more")
    retire.add_argument("key_id")
    retire.set_defaults(func=cmd_keys_retire)
