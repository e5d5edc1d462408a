"""The whole system for one benchmark scenario, started the way ``make up`` starts it
(the same ``Supervisor``, one process per service replica, migrations first), on free
ports, with a private data folder and — on PostgreSQL — a scratch database that is
dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.procs import free_port
from shared.cli.processes import REPLICA_PORT_STEP, ServiceProcess, Supervisor, port_free
from shared.db.migrate import migrate
from shared.settings import SERVICES, Settings


@dataclass
class ProfiledServiceProcess(ServiceProcess):
    """A service process run under ``py-spy record`` (sampling, no code change). SIGINT
    makes py-spy write its collapsed stacks and end the service."""

    profile_path: Path | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log = log
        py_spy = str(Path(sys.executable).with_name("py-spy"))
        self.process = subprocess.Popen(
            [
                py_spy,
                "record",
                "--nonblocking",
                "--gil",
                "--format",
                "raw",
                "--rate",
                "200",
                "--output",
                str(self.profile_path),
                "--",
                sys.executable,
                "-m",
                "shared.cli.main",
                "serve",
                self.service,
                "--no-migrate",
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def children(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        with contextlib.suppress(OSError, ValueError):
            return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []

    def kill(self, sig: int = signal.SIGKILL) -> None:
        # py-spy dies on SIGTERM without writing its output and leaves the service running.
        self._service_pids = self.children() or getattr(self, "_service_pids", [])
        super().kill(signal.SIGINT if sig == signal.SIGTERM else sig)

    def stop(self, timeout: float = 20.0) -> None:
        service_pids = self.children() or getattr(self, "_service_pids", [])
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for pid in service_pids:  # py-spy normally ends its child itself; make sure
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]


class BenchSystem:
    def __init__(self, settings: Settings, supervisor: Supervisor, database_url: str | None) -> None:
        self.settings = settings
        self.supervisor = supervisor
        self.database_url = database_url

    def url(self, service: str, replica: int = 1) -> str:
        return next(p.url for p in self.supervisor.processes if p.service == service and p.replica == replica)

    def pids(self) -> dict[str, int]:
        """Process name (``case``, ``case-2``) → pid, for the processes the bench can measure."""
        return {
            p.name: p.process.pid
            for p in self.supervisor.processes
            if p.process is not None and not isinstance(p, ProfiledServiceProcess)
        }

    def logs_tail(self, chars: int = 3000) -> str:
        out = []
        for p in self.supervisor.processes:
            if p.log_path.exists():
                text = p.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
                out.append(f"==== {p.name} ====\n{text}")
        return "\n".join(out)


def settings_from(env: dict[str, str]) -> Settings:
    """Settings exactly as a child process with ``env`` will read them."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("TSUNAGI_")}
    try:
        for key in saved:
            os.environ.pop(key)
        os.environ.update({k: v for k, v in env.items() if k.startswith("TSUNAGI_")})
        return Settings()
    finally:
        for key in [k for k in os.environ if k.startswith("TSUNAGI_")]:
            os.environ.pop(key)
        os.environ.update(saved)


def service_ports(replicas: dict[str, int]) -> dict[str, int]:
    """A free port per service whose replicas' ports (+10, +20, …) are free too."""
    ports: dict[str, int] = {}
    for service in SERVICES:
        while True:
            port = free_port()
            extra = [port + REPLICA_PORT_STEP * i for i in range(1, replicas.get(service, 1))]
            if all(port_free(p) for p in extra) and port not in ports.values():
                ports[service] = port
                break
    return ports


@contextlib.asynccontextmanager
async def scratch_postgres(admin_url: str) -> AsyncIterator[str]:
    """A fresh database on the server ``admin_url`` names, dropped afterwards."""
    import asyncpg

    url = make_url(admin_url).set(drivername="postgresql")
    name = f"tsunagi_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def prepared(
    folder: Path, redis_url: str, database_url: str | None, ports: dict[str, int]
) -> tuple[dict[str, str], Settings]:
    """The services' environment (a private data folder, these ports) and settings, with
    every service's database migrated: the same for Tsunagi and the floor."""
    env = {k: v for k, v in os.environ.items() if k != "TSUNAGI_DATABASE_URL"}
    env.update(
        {
            "TSUNAGI_MODE": "embedded",
            "TSUNAGI_DATA_DIR": str(folder / "data"),
            "TSUNAGI_REDIS_URL": redis_url,
            "PYTHONUNBUFFERED": "1",
            **{f"TSUNAGI_{s.upper()}_PORT": str(p) for s, p in ports.items()},
        }
    )
    env.pop("TSUNAGI_CONSUMER_NAME", None)
    if database_url:
        env["TSUNAGI_DATABASE_URL"] = database_url
    project_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")]))
    settings = settings_from(env)
    for service in SERVICES:
        await migrate(settings, service)
    return env, settings


@contextlib.asynccontextmanager
async def running_system(
    folder: Path, *, redis_url: str, database_url: str | None, replicas: dict[str, int], profile: tuple[str, ...] = ()
) -> AsyncIterator[BenchSystem]:
    """Migrate, start every service (``profile`` ones under py-spy), wait until healthy."""
    ports = service_ports(replicas)
    env, settings = await prepared(folder, redis_url, database_url, ports)
    supervisor = Supervisor(settings, env, replicas, folder / "logs")
    for i, p in enumerate(supervisor.processes):
        if p.service in profile and p.replica == 1:
            supervisor.processes[i] = ProfiledServiceProcess(
                service=p.service,
                replica=p.replica,
                port=p.port,
                env=p.env,
                log_path=p.log_path,
                profile_path=folder / f"profile-{p.service}.txt",
            )
    system = BenchSystem(settings, supervisor, database_url)
    try:
        supervisor.start_all()
        await asyncio.to_thread(supervisor.wait_healthy, 90.0)
        yield system
    except BaseException:
        print(system.logs_tail(), file=sys.stderr)
        raise
    finally:
        await asyncio.to_thread(supervisor.stop_all)
