"""``tsunagi up``: the whole system on one machine.

It starts a private ``redis-server`` (append-only, in the data folder) unless
``TSUNAGI_REDIS_URL`` is set, migrates every service's database, starts each service
as its own process (``tsunagi serve``), restarts a process that dies, loads the
labelled sample data once, prints where everything answers, and stops it all
cleanly on Ctrl-C. The processes themselves are ``shared.cli.processes``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

from shared.cli.processes import (
    Supervisor,
    child_env,
    port_free,
    start_embedded_redis,
)
from shared.keyring import KeyRing, key_file_path
from shared.settings import SERVICES, Settings
from shared.signing import ensure_key_pair, verify_key_path

EMBEDDED_REDIS_PORT = 6390


def parse_replicas(values: list[str]) -> dict[str, int]:
    replicas = dict.fromkeys(SERVICES, 1)
    for value in values:
        for part in value.split(","):
            name, _, count = part.partition("=")
            if name not in SERVICES or not count.isdigit() or int(count) < 1:
                raise SystemExit(f"--replicas expects SERVICE=N with SERVICE in {', '.join(SERVICES)}: {part!r}")
            replicas[name] = int(count)
    return replicas


def shown_url(url: str) -> str:
    """A URL fit to print: its password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{parts.hostname}:{parts.port}"))


def print_banner(
    settings: Settings,
    supervisor: Supervisor,
    redis_url: str,
    database: str,
    samples: list[tuple[str, str, str, bool]],
    sample_password: str | None,
) -> None:
    console = next(p for p in supervisor.processes if p.service == "console")
    lines = [
        "",
        "Tsunagi is running (つなぎ). Ctrl-C stops everything.",
        "",
        f"  つなぎの机 (the console — sign in here): {console.url}/",
        "",
    ]
    if samples:
        from services.console.handlers.samples import SAMPLE_TOTP_SECRET

        lines.append(f"  SAMPLE accounts (サンプル), password: {sample_password}")
        for account_id, name, role, second_factor in samples:
            lines.append(f"    {account_id + (' *' if second_factor else ''):<26} {role:<34} {name}")
        lines += [
            f"  * 2段階認証: the SAMPLE authenticator key {SAMPLE_TOTP_SECRET} (add it to an authenticator",
            "    app, or print the current code: .venv/bin/tsunagi user sample-code)",
            "",
        ]
    for p in supervisor.processes:
        docs = "" if p.service == "console" else f"   API docs: {p.url}/docs"
        lines.append(f"  {p.name:<11} {p.url}{docs}   health: {p.url}/health")
    smtp = os.environ.get("TSUNAGI_NOTIFY_SMTP_HOST")
    mail = f"via {smtp}" if smtp else f"written to {settings.data_dir / 'mail'}"
    lines += [
        "",
        f"  redis       {shown_url(redis_url)}",
        f"  database    {database}",
        f"  logs        {settings.data_dir / 'logs'}",
        f"  email       {mail}",
        "",
        "  For curl, a development-key token (embedded mode only):",
        "    .venv/bin/tsunagi token --role coordinator --scope 中部 --subject csw-chubu-1",
        "",
    ]
    print("\n".join(lines), flush=True)


def create_sample_accounts(settings: Settings) -> tuple[list[tuple[str, str, str, bool]], str]:
    """The labelled SAMPLE accounts (sample reference data, embedded mode only)."""
    from datetime import timedelta

    from services.console.adapters.orm import messaging
    from services.console.adapters.totp import SecretBox
    from services.console.domain.accounts import grant_label
    from services.console.handlers.samples import DEFAULT_SAMPLE_PASSWORD, ensure_sample_accounts, needs_second_factor
    from shared.clock import Clock
    from shared.db.engine import make_engine
    from shared.db.uow import UnitOfWork
    from shared.reference import load_reference_data

    reference = load_reference_data(settings.reference_dir)
    password = settings.sample_password.get_secret_value() if settings.sample_password else DEFAULT_SAMPLE_PASSWORD
    if not reference.sample or settings.mode == "production":
        return [], password

    async def create() -> list[tuple[str, str, str, bool]]:
        engine = make_engine(settings, "console", pool_size=1)
        try:
            made = await ensure_sample_accounts(
                lambda: UnitOfWork(engine, messaging, Clock.from_settings(settings)),
                reference,
                password,
                timedelta(seconds=settings.console_token_ttl_s),
                SecretBox(settings.secret_key.get_secret_value()),
                settings.second_factor_roles,
            )
        finally:
            await engine.dispose()
        return [
            (
                a.account_id,
                a.display_name,
                " / ".join(grant_label(g, reference) for g in a.grants),
                needs_second_factor(a, settings.second_factor_roles),
            )
            for a in made
        ]

    return asyncio.run(create()), password


def run_up(args: argparse.Namespace) -> int:
    from shared.db.migrate import migrate

    settings = Settings()
    replicas = parse_replicas(args.replicas)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    redis_process = None
    redis_url = settings.redis_url
    if not redis_url:
        port = int(os.environ.get("TSUNAGI_EMBEDDED_REDIS_PORT", EMBEDDED_REDIS_PORT))
        if not port_free(port):
            raise SystemExit(
                f"port {port} for the embedded Redis is in use (an earlier `make up` still running?). "
                "Stop it, or set TSUNAGI_EMBEDDED_REDIS_PORT or TSUNAGI_REDIS_URL."
            )
        redis_process, redis_url = start_embedded_redis(settings.data_dir, port)
        print(
            f"[tsunagi] started redis-server (append-only, with a password) on port {port}, "
            f"data in {settings.data_dir / 'redis'}",
            flush=True,
        )
    database = settings.database_url or f"SQLite files in {settings.data_dir}"
    for service in SERVICES:
        asyncio.run(migrate(settings, service))
    print(
        f"[tsunagi] migrated {', '.join(SERVICES)} ({'PostgreSQL' if settings.database_url else 'SQLite'})", flush=True
    )
    if ensure_key_pair(settings):
        print(f"[tsunagi] made the console's signing key pair in {verify_key_path(settings).parent}", flush=True)
    if settings.mode == "embedded" and settings.payload_keys is None and not key_file_path(settings).exists():
        KeyRing.from_settings(settings)  # made once here, before the services read it
        print(
            f"[tsunagi] made the key ring that seals personal fields in events: {key_file_path(settings)}", flush=True
        )
    samples, sample_password = ([], None) if args.no_sample_data else create_sample_accounts(settings)

    supervisor = Supervisor(settings, child_env(settings, redis_url), replicas, settings.data_dir / "logs")
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        supervisor.start_all()
        supervisor.wait_healthy()
        if not args.no_sample_data:
            from shared.cli.seed import seed_once

            seed_once(settings, {p.service: p.url for p in supervisor.processes if p.replica == 1})
        print_banner(settings, supervisor, redis_url, database, samples, sample_password)
        if args.exit_after_ready:
            return 0
        while not stopping:
            supervisor.watch_once()
            time.sleep(0.5)
        print("\n[tsunagi] stopping…", flush=True)
        return 0
    finally:
        supervisor.stop_all()
        if redis_process is not None:
            redis_process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                redis_process.wait(timeout=10)
        print("[tsunagi] stopped.", flush=True)
