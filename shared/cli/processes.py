"""The system's processes on one machine: free ports, the private ``redis-server``, each
service as its own process (``tsunagi serve``) restarted when it dies, and the
environment they inherit. Used by ``tsunagi up``, the end-to-end and fault tests and
the bench."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.settings import REDIS_PASSWORD_FILE, REDIS_URL_FILE, SERVICES, Settings

REPLICA_PORT_STEP = 10  # replica 2 of case (8002) answers on 8012, replica 3 on 8022, ...


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


def _private_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def embedded_redis_password(data_dir: Path) -> str:
    """The private Redis's password, made once and kept in the data folder."""
    path = data_dir / "keys" / REDIS_PASSWORD_FILE
    if not path.exists():
        _private_file(path, secrets.token_hex(24))
    return path.read_text(encoding="utf-8").strip()


def start_embedded_redis(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server on 127.0.0.1 with a password (``requirepass`` in a config file only
    its owner reads, not on the command line where ``ps`` shows it); returns it and the
    URL the services use. The URL is also kept in the data folder, where the operator
    commands find it (``Settings.effective_redis_url``)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server was not found. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, "
            "macOS: `brew install redis`) or point TSUNAGI_REDIS_URL at a running Redis."
        )
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    password = embedded_redis_password(data_dir)
    config = folder / "redis.conf"
    _private_file(config, f"requirepass {password}\n")
    process = subprocess.Popen(
        [
            binary,
            str(config),
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
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    _private_file(data_dir / "keys" / REDIS_URL_FILE, url)
    return process, url


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
