"""``tsunagi up``: the whole system on one machine.

It starts a private ``redis-server`` (append-only, in the data folder) unless
``TSUNAGI_REDIS_URL`` is set, migrates every service's database, starts each service
as its own process (``tsunagi serve``), restarts a process that dies, loads the
labelled sample data once, prints where everything answers, and stops it all
cleanly on Ctrl-C. The same supervisor is used by the end-to-end and fault tests."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import SERVICES, Settings
from shared.signing import ensure_key_pair, verify_key_path

EMBEDDED_REDIS_PORT = 6390
REPLICA_PORT_STEP = 10  # replica 2 of case (8002) answers on 8012, replica 3 on 8022, ...


def parse_replicas(values: list[str]) -> dict[str, int]:
    replicas = dict.fromkeys(SERVICES, 1)
    for value in values:
        for part in value.split(","):
            name, _, count = part.partition("=")
            if name not in SERVICES or not count.isdigit() or int(count) < 1:
                raise SystemExit(f"--replicas expects SERVICE=N with SERVICE in {', '.join(SERVICES)}: {part!r}")
            replicas[name] = int(count)
    return replicas


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for private servers in tests and benches."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def start_embedded_redis(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server was not found. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, "
            "macOS: `brew install redis`) or point TSUNAGI_REDIS_URL at a running Redis."
        )
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if not wait_for_port(port):
        process.kill()
        raise SystemExit(f"redis-server did not start on port {port}; see {folder / 'redis.log'}")
    return process


@dataclass
class ServiceProcess:
    service: str
    replica: int
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    _log: object = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.service if self.replica == 1 else f"{self.service}-{self.replica}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.cli.main", "serve", self.service, "--no-migrate", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]


class Supervisor:
    """Starts and watches the service processes; restarts any that dies."""

    def __init__(self, settings: Settings, env: dict[str, str], replicas: dict[str, int], log_dir: Path) -> None:
        self.settings = settings
        self.processes: list[ServiceProcess] = []
        for service in SERVICES:
            for replica in range(1, replicas.get(service, 1) + 1):
                port = settings.port_of(service) + REPLICA_PORT_STEP * (replica - 1)
                name = service if replica == 1 else f"{service}-{replica}"
                self.processes.append(
                    ServiceProcess(
                        service=service,
                        replica=replica,
                        port=port,
                        env={k: v for k, v in env.items() if k != "TSUNAGI_CONSUMER_NAME"},
                        log_path=log_dir / f"{name}.log",
                    )
                )

    def start_all(self) -> None:
        for p in self.processes:
            if not port_free(p.port):
                raise SystemExit(
                    f"port {p.port} for {p.name} is in use; stop what uses it or set TSUNAGI_{p.service.upper()}_PORT"
                )
            p.start()

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.processes)
        while waiting and time.monotonic() < deadline:
            for p in list(waiting):
                if not p.alive():
                    raise SystemExit(f"{p.name} exited while starting; see {p.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{p.url}/health", timeout=1.0).status_code == 200:
                        waiting.remove(p)
            time.sleep(0.1)
        if waiting:
            raise SystemExit(f"not healthy after {timeout}s: {', '.join(p.name for p in waiting)}")

    def watch_once(self) -> list[str]:
        """Restart dead processes (with a short backoff); returns the names restarted."""
        restarted = []
        now = time.monotonic()
        for p in self.processes:
            if p.alive():
                continue
            if p.next_start == 0.0:
                p.next_start = now + min(0.5 * (2 ** min(p.restarts, 5)), 10.0)
                print(
                    f"[tsunagi] {p.name} exited (code {p.process.returncode if p.process else '?'}); restarting",
                    flush=True,
                )
            elif now >= p.next_start:
                p.restarts += 1
                p.next_start = 0.0
                p.start()
                restarted.append(p.name)
        return restarted

    def stop_all(self) -> None:
        for p in self.processes:
            p.kill(signal.SIGTERM)
        for p in self.processes:
            p.stop()


def child_env(settings: Settings, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TSUNAGI_REDIS_URL"] = redis_url
    env["TSUNAGI_DATA_DIR"] = str(settings.data_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not env.get("TSUNAGI_NOTIFY_SMTP_HOST"):
        # No mail server on one machine: notify writes each email to data/mail/*.eml.
        env.setdefault("TSUNAGI_NOTIFY_MAIL_DIR", str(settings.data_dir / "mail"))
    project_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, env.get("PYTHONPATH")]))
    return env


def print_banner(
    settings: Settings,
    supervisor: Supervisor,
    redis_url: str,
    database: str,
    samples: list[tuple[str, str, str]],
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
        lines.append(f"  SAMPLE accounts (サンプル), password: {sample_password}")
        for account_id, name, role in samples:
            lines.append(f"    {account_id:<26} {role:<34} {name}")
        lines.append("")
    for p in supervisor.processes:
        docs = "" if p.service == "console" else f"   API docs: {p.url}/docs"
        lines.append(f"  {p.name:<11} {p.url}{docs}   health: {p.url}/health")
    smtp = os.environ.get("TSUNAGI_NOTIFY_SMTP_HOST")
    mail = f"via {smtp}" if smtp else f"written to {settings.data_dir / 'mail'}"
    lines += [
        "",
        f"  redis       {redis_url}",
        f"  database    {database}",
        f"  logs        {settings.data_dir / 'logs'}",
        f"  email       {mail}",
        "",
        "  For curl, a development-key token (embedded mode only):",
        "    .venv/bin/tsunagi token --role coordinator --scope 中部 --subject csw-chubu-1",
        "",
    ]
    print("\n".join(lines), flush=True)


def create_sample_accounts(settings: Settings) -> tuple[list[tuple[str, str, str]], str]:
    """The labelled SAMPLE accounts (sample reference data, embedded mode only)."""
    from datetime import timedelta

    from services.console.adapters.orm import messaging
    from services.console.domain.accounts import grant_label
    from services.console.handlers.samples import DEFAULT_SAMPLE_PASSWORD, ensure_sample_accounts
    from shared.clock import Clock
    from shared.db.engine import make_engine
    from shared.db.uow import UnitOfWork
    from shared.reference import load_reference_data

    reference = load_reference_data(settings.reference_dir)
    password = settings.sample_password.get_secret_value() if settings.sample_password else DEFAULT_SAMPLE_PASSWORD
    if not reference.sample or settings.mode == "production":
        return [], password

    async def create() -> list[tuple[str, str, str]]:
        engine = make_engine(settings, "console", pool_size=1)
        try:
            made = await ensure_sample_accounts(
                lambda: UnitOfWork(engine, messaging, Clock.from_settings(settings)),
                reference,
                password,
                timedelta(seconds=settings.console_token_ttl_s),
            )
        finally:
            await engine.dispose()
        return [(a.account_id, a.display_name, " / ".join(grant_label(g, reference) for g in a.grants)) for a in made]

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
        redis_process = start_embedded_redis(settings.data_dir, port)
        redis_url = f"redis://127.0.0.1:{port}/0"
        print(
            f"[tsunagi] started redis-server (append-only) on port {port}, data in {settings.data_dir / 'redis'}",
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
