"""The ``tsunagi`` command: tokens, migrations, serving one service, and ``up``
(the whole system on one machine). Operator commands live beside it."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

from shared.settings import PROJECT_ROOT, SERVICES, Settings


def build_app(service: str, settings: Settings) -> Any:
    module = importlib.import_module(f"services.{service}.bootstrap")
    return module.build_app(settings)


def cmd_token(args: argparse.Namespace) -> int:
    from shared.identity import mint_checked_token

    settings = Settings()
    try:
        access = asyncio.run(known_accounts(settings))
        print(mint_checked_token(settings, role=args.role, scope=args.scope, subject=args.subject, access=access))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


async def known_accounts(settings: Settings) -> Any:
    """The accounts the case service has learned from the console's events, so a token is
    refused here as the services would refuse it (None: no case database yet)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from services.case.adapters.orm import access as tables
    from shared.access import AccessRegistry
    from shared.clock import utcnow
    from shared.db.engine import database_url_for, make_engine

    url = make_url(database_url_for(settings, "case"))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return None
    engine = make_engine(settings, "case")
    try:
        registry = AccessRegistry()
        await registry.refresh(engine, tables, utcnow())
        return registry
    except (SQLAlchemyError, OSError):  # not migrated yet, or the database is down
        return None
    finally:
        await engine.dispose()


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared.db.migrate import migrate

    settings = Settings()
    for service in args.services or SERVICES:
        asyncio.run(migrate(settings, service))
        print(f"migrated {service}")
    return 0


def cmd_makemigration(args: argparse.Namespace) -> int:
    from shared.db.migrate import make_revision

    asyncio.run(make_revision(args.service, args.message))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.db.migrate import migrate
    from shared.keyring import KeyRingError
    from shared.logging import configure_logging
    from shared.signing import SigningKeyError

    settings = Settings()
    configure_logging(args.service, settings.log_level, settings.log_json)
    if not args.no_migrate:
        asyncio.run(migrate(settings, args.service))
    try:
        app = build_app(args.service, settings)
    except (KeyRingError, SigningKeyError) as exc:  # a missing key in production: one line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = args.port or settings.port_of(args.service)
    uvicorn.run(app, host=settings.host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from shared.cli.up import run_up

    return run_up(args)


def cmd_seed(args: argparse.Namespace) -> int:
    from shared.cli.seed import run_seed

    return run_seed(args)


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from shared.asyncapi.committed import DOCS_DIR, stale_files, write_files

    where = DOCS_DIR.relative_to(PROJECT_ROOT)
    if args.write:
        written = write_files()
        for path in written:
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        print(f"{where}: {len(written)} file(s) regenerated" if written else f"{where}: already up to date")
        return 0
    stale = stale_files()
    if stale:
        print(f"{where}: out of date: {', '.join(stale)} (regenerate: tsunagi asyncapi --write)", file=sys.stderr)
        return 1
    print(f"{where}: up to date")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tsunagi", description="Tsunagi: community welfare case management")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "token",
        help="print a development-key token for a role and scope (embedded and test "
        "mode; people sign in to the console instead)",
    )
    t.add_argument("--role", required=True, choices=["reporter", "coordinator", "agency", "supervisor", "helper"])
    t.add_argument(
        "--scope",
        required=True,
        help="coordinator: area (e.g. 中部); agency: agency id; reporter: reporter id; supervisor: city",
    )
    t.add_argument(
        "--subject",
        help="who the token is for: an account id, which must hold the grant (default: a reporter's scope, "
        "else role:scope); refused as the services would refuse it",
    )
    t.set_defaults(func=cmd_token)

    m = sub.add_parser("migrate", help="upgrade the services' databases to the latest schema")
    m.add_argument("services", nargs="*", help=f"any of {', '.join(SERVICES)} (default: all)")
    m.set_defaults(func=cmd_migrate)

    mm = sub.add_parser("makemigration", help="autogenerate an Alembic revision for one service")
    mm.add_argument("service", choices=SERVICES)
    mm.add_argument("-m", "--message", required=True)
    mm.set_defaults(func=cmd_makemigration)

    s = sub.add_parser("serve", help="run one service (HTTP API + its consumers, relay and reclaim loop)")
    s.add_argument("service", choices=SERVICES)
    s.add_argument("--port", type=int)
    s.add_argument("--no-migrate", action="store_true")
    s.set_defaults(func=cmd_serve)

    u = sub.add_parser("up", help="start the whole system on this machine (embedded default)")
    u.add_argument(
        "--replicas",
        action="append",
        default=[],
        metavar="SERVICE=N",
        help="run N processes of a service (repeatable), e.g. case=2",
    )
    u.add_argument("--no-sample-data", action="store_true", help="do not load the sample consultations")
    u.add_argument("--exit-after-ready", action="store_true", help=argparse.SUPPRESS)
    u.set_defaults(func=cmd_up)

    sd = sub.add_parser("seed", help="load the labelled sample consultations through the running system")
    sd.set_defaults(func=cmd_seed)

    a = sub.add_parser("asyncapi", help="check that docs/asyncapi/ matches the event contracts (--write: regenerate)")
    a.add_argument("--write", action="store_true", help="regenerate the documents instead of checking them")
    a.set_defaults(func=cmd_asyncapi)

    from services.case.entrypoints.cli import add_case_commands
    from services.console.entrypoints.cli import add_console_commands
    from shared.cli.keys import add_keys_commands
    from shared.cli.ops import add_ops_commands

    add_ops_commands(sub)
    add_keys_commands(sub)
    add_console_commands(sub)
    add_case_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
