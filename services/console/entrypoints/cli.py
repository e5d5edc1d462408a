"""``tsunagi user …`` (accounts on the console's database, the same commands as the
account pages) and ``tsunagi keygen`` (the console's signing key pair)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from services.console.adapters.orm import messaging
from services.console.domain.accounts import CITY, Grant, grant_label
from services.console.handlers import accounts, second_factor
from services.console.handlers.accounts import AccountCommand
from services.console.handlers.samples import sample_code
from shared.clock import Clock
from shared.db.engine import make_engine
from shared.db.uow import UnitOfWork
from shared.errors import DomainError
from shared.events import Actor
from shared.reference import ReferenceDataError, load_reference_data
from shared.settings import Settings
from shared.signing import generate_key_pair, signing_key_path, verify_key_path

GRANT_HELP = (
    "ROLE[:SCOPE] — coordinator:中部, agency:hc-3, supervisor, account_admin, "
    "reporter:民生委員・児童委員 (a reporter's scope is their kind), "
    "helper:中部:ほっとネット推進員 (a community helper's area and kind)"
)


def parse_grant(text: str) -> Grant:
    role, _, scope = text.partition(":")
    if role == "reporter":
        return Grant("reporter", "", scope or None)
    if role == "helper":
        area, _, kind = scope.partition(":")
        return Grant("helper", area, kind or None)
    return Grant(role, scope or CITY)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def _run(args: argparse.Namespace, action: Callable[[Settings, Callable[[], AccountCommand]], Awaitable[Any]]) -> int:
    settings = Settings()

    async def main() -> Any:
        engine = make_engine(settings, "console", pool_size=1)
        clock = Clock.from_settings(settings)
        actor = Actor(role="system", id=f"cli:{getpass.getuser()}"[:64])
        ttl = timedelta(seconds=settings.console_token_ttl_s)
        try:
            return await action(
                settings,
                lambda: AccountCommand(UnitOfWork(engine, messaging, clock), actor, f"cli-{secrets.token_hex(8)}", ttl),
            )
        finally:
            await engine.dispose()

    try:
        asyncio.run(main())
    except (DomainError, ReferenceDataError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    password = args.password or temporary_password()

    async def action(settings: Settings, command: Callable[[], AccountCommand]) -> None:
        reference = load_reference_data(settings.reference_dir)
        await accounts.add_account(
            command(),
            reference,
            account_id=args.account_id,
            display_name=args.name,
            password=password,
            grants=[parse_grant(g) for g in args.grant],
            must_change_password=not args.password,
        )
        print(
            f"added {args.account_id}"
            + ("" if args.password else f"; temporary password: {password} (to be changed at the first sign-in)")
        )

    return _run(args, action)


def cmd_grant(args: argparse.Namespace) -> int:
    async def action(settings: Settings, command: Callable[[], AccountCommand]) -> None:
        await accounts.add_grant(
            command(), load_reference_data(settings.reference_dir), args.account_id, parse_grant(args.grant)
        )
        print(f"granted {args.grant} to {args.account_id}")

    return _run(args, action)


def cmd_revoke(args: argparse.Namespace) -> int:
    async def action(_settings: Settings, command: Callable[[], AccountCommand]) -> None:
        grant = parse_grant(args.grant)
        if grant.role == "reporter":
            grant = Grant("reporter", args.account_id)
        await accounts.revoke_grant(command(), args.account_id, grant)
        print(f"revoked {args.grant} from {args.account_id} (its sessions ended)")

    return _run(args, action)


def cmd_disable(args: argparse.Namespace) -> int:
    async def action(_settings: Settings, command: Callable[[], AccountCommand]) -> None:
        await accounts.set_disabled(command(), args.account_id, args.command == "disable")
        print(f"{args.command}d {args.account_id}")

    return _run(args, action)


def cmd_reset(args: argparse.Namespace) -> int:
    password = args.password or temporary_password()

    async def action(_settings: Settings, command: Callable[[], AccountCommand]) -> None:
        await accounts.reset_password(command(), args.account_id, password)
        print(
            f"reset {args.account_id}: temporary password {password} (to be changed at the next sign-in; "
            "its sessions ended)"
        )

    return _run(args, action)


def cmd_reset_second_factor(args: argparse.Namespace) -> int:
    async def action(_settings: Settings, command: Callable[[], AccountCommand]) -> None:
        await second_factor.reset(command(), args.account_id)
        print(f"reset {args.account_id}'s second factor (set up again at the next sign-in where required)")

    return _run(args, action)


def cmd_sample_code(args: argparse.Namespace) -> int:
    """The SAMPLE accounts' current TOTP code (sample data, embedded and test mode only)."""
    settings = Settings()
    if settings.mode == "production":
        print("error: the SAMPLE key is for sample data only; refused in production", file=sys.stderr)
        return 2
    print(sample_code(Clock.from_settings(settings).now()))
    return 0


def cmd_move(args: argparse.Namespace) -> int:
    """人事異動: several coordinators to another area at once, each reported."""
    failed = 0

    async def action(settings: Settings, command: Callable[[], AccountCommand]) -> None:
        nonlocal failed
        reference = load_reference_data(settings.reference_dir)
        for account_id in args.account_ids:
            try:
                old = await accounts.move_coordinator(command(), reference, account_id, args.area)
                print(f"moved {account_id}: {old} → {args.area}")
            except DomainError as exc:
                failed += 1
                print(f"not moved {account_id}: {exc.message}", file=sys.stderr)

    rc = _run(args, action)
    return rc or (2 if failed else 0)


def cmd_list(args: argparse.Namespace) -> int:
    settings = Settings()

    async def fetch() -> list[dict[str, Any]]:
        engine = make_engine(settings, "console", pool_size=1)
        try:
            return await accounts.listing(UnitOfWork(engine, messaging, Clock.from_settings(settings)))
        finally:
            await engine.dispose()

    rows = asyncio.run(fetch())
    if args.json:
        print(
            json.dumps(
                [
                    {**{k: v for k, v in r.items() if k != "grants"}, "grants": [g.__dict__ for g in r["grants"]]}
                    for r in rows
                ],
                ensure_ascii=False,
                default=str,
                indent=2,
            )
        )
        return 0
    for row in rows:
        state = "disabled" if row["disabled"] else "active"
        grants = ", ".join(grant_label(g) for g in row["grants"]) or "(no grant)"
        print(f"{row['id']:<24} {state:<8} {'SAMPLE ' if row['sample'] else ''}{row['display_name']} — {grants}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    settings = Settings()
    signing = Path(args.out) / "console-signing-key.pem" if args.out else signing_key_path(settings)
    verify = Path(args.out) / "console-verify-key.pem" if args.out else verify_key_path(settings)
    if signing.exists() or verify.exists():
        if args.if_missing:
            print(f"keys exist: {signing}, {verify}")
            return 0
        print(
            f"error: {signing} or {verify} exists; remove them first (every token they signed stops working)",
            file=sys.stderr,
        )
        return 2
    generate_key_pair(signing, verify)
    print(f"console signing key (the console only): {signing}\nverify key (every service): {verify}")
    return 0


def add_console_commands(sub: Any) -> None:
    user = sub.add_parser(
        "user",
        help="console accounts: add, grant, revoke, disable, enable, reset-password, reset-second-factor, move, list, "
        "sample-code",
    ).add_subparsers(dest="command", required=True)
    a = user.add_parser("add", help="add an account (a temporary password is printed unless --password)")
    a.add_argument("account_id")
    a.add_argument("--name", required=True, help="display name (staff name, shown in the console)")
    a.add_argument("--grant", action="append", default=[], help=GRANT_HELP)
    a.add_argument("--password", help="initial password (default: a printed temporary one)")
    a.set_defaults(func=cmd_add)
    for name, func, helptext in (("grant", cmd_grant, "give a grant"), ("revoke", cmd_revoke, "take a grant away")):
        g = user.add_parser(name, help=helptext)
        g.add_argument("account_id")
        g.add_argument("grant", help=GRANT_HELP)
        g.set_defaults(func=func)
    for name in ("disable", "enable"):
        d = user.add_parser(name, help=f"{name} an account (disable ends its sessions everywhere)")
        d.add_argument("account_id")
        d.set_defaults(func=cmd_disable)
    r = user.add_parser("reset-password", help="set a temporary password; the person changes it at sign-in")
    r.add_argument("account_id")
    r.add_argument("--password")
    r.set_defaults(func=cmd_reset)
    f = user.add_parser("reset-second-factor", help="clear a person's second factor (lost phone); logged")
    f.add_argument("account_id")
    f.set_defaults(func=cmd_reset_second_factor)
    c = user.add_parser("sample-code", help="the SAMPLE accounts' current 2段階認証 code (sample data only)")
    c.set_defaults(func=cmd_sample_code)
    m = user.add_parser("move", help="人事異動: move coordinators to another area")
    m.add_argument("account_ids", nargs="+")
    m.add_argument("--area", required=True)
    m.set_defaults(func=cmd_move)
    ls = user.add_parser("list", help="every account with its grants")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    k = sub.add_parser("keygen", help="make the console's signing key pair (Ed25519)")
    k.add_argument("--out", help="a folder for both files (default: the configured paths)")
    k.add_argument("--if-missing", action="store_true", help="do nothing when the keys exist")
    k.set_defaults(func=cmd_keygen)
