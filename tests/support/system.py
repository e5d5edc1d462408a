"""The whole system as separate processes, for end-to-end and fault tests: the same
``Supervisor`` ``tsunagi up`` uses, on free ports, a private data folder, the given
Redis and database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from shared.cli.processes import Supervisor, child_env
from shared.db.migrate import migrate
from shared.settings import SERVICES, Settings
from shared.signing import ensure_key_pair
from tests.support.servers import free_port


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Polls ``check`` until it returns something truthy (returned), as a person would
    look again; fails saying what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class System:
    def __init__(self, settings: Settings, supervisor: Supervisor) -> None:
        self.settings = settings
        self.supervisor = supervisor

    def url(self, service: str, replica: int = 1) -> str:
        return next(p.url for p in self.supervisor.processes if p.service == service and p.replica == replica)

    def client(self, service: str, replica: int = 1) -> httpx.Client:
        return httpx.Client(base_url=self.url(service, replica), timeout=10)

    def process(self, service: str, replica: int = 1):
        return next(p for p in self.supervisor.processes if p.service == service and p.replica == replica)

    def logs(self) -> str:
        out = []
        for p in self.supervisor.processes:
            if p.log_path.exists():
                out.append(f"==== {p.name} ====\n" + p.log_path.read_text(encoding="utf-8", errors="replace")[-4000:])
        return "\n".join(out)


@contextlib.contextmanager
def running_system(
    tmp: Path,
    *,
    redis_url: str,
    database_url: str | None = None,
    replicas: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    service_env: dict[str, dict[str, str]] | None = None,
) -> Iterator[System]:
    """``service_env``: variables for one service's processes only (e.g. its own Redis user)."""
    ports = {service: free_port() for service in SERVICES}
    env_values = {
        "TSUNAGI_MODE": "test",
        "TSUNAGI_DATA_DIR": str(tmp / "data"),
        "TSUNAGI_REDIS_URL": redis_url,
        "TSUNAGI_RECLAIM_IDLE_MS": "2000",
        "TSUNAGI_RECLAIM_INTERVAL_S": "0.5",
        "TSUNAGI_RELAY_POLL_INTERVAL_S": "0.2",
        **{f"TSUNAGI_{s.upper()}_PORT": str(p) for s, p in ports.items()},
        **(extra_env or {}),
    }
    if database_url:
        env_values["TSUNAGI_DATABASE_URL"] = database_url
    saved = {k: os.environ.get(k) for k in env_values}
    os.environ.update(env_values)
    try:
        settings = Settings()
        # In a thread: callers may be inside an event loop (async tests).
        with ThreadPoolExecutor(1) as pool:
            for service in SERVICES:
                pool.submit(asyncio.run, migrate(settings, service)).result()
        ensure_key_pair(settings)  # as `tsunagi up` does: before any process reads it
        supervisor = Supervisor(settings, child_env(settings, redis_url), replicas or {}, tmp / "logs")
        for process in supervisor.processes:
            process.env.update((service_env or {}).get(process.service, {}))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    supervisor.start_all()
    system = System(settings, supervisor)
    stop_watching = threading.Event()

    def watch() -> None:  # like `tsunagi up`: a process that dies is restarted
        while not stop_watching.wait(0.2):
            supervisor.watch_once()

    watcher = threading.Thread(target=watch, name="supervisor", daemon=True)
    try:
        supervisor.wait_healthy()
        watcher.start()
        yield system
    except BaseException:
        print(system.logs())
        raise
    finally:
        stop_watching.set()
        if watcher.is_alive():
            watcher.join(timeout=5)
        supervisor.stop_all()
