"""Private Redis and PostgreSQL servers for tests: real servers on free ports in a
temporary folder, so tests can stop and restart them without touching the machine's
shared instances."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shared.cli.processes import free_port
from shared.cli.processes import wait_for_port as port_answers


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    if not port_answers(port, timeout):
        raise TimeoutError(f"nothing answered on port {port} within {timeout}s")


class RedisServer:
    """A redis-server with append-only persistence in ``folder``; stop/start keep its data."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


class PostgresServer:
    """initdb + pg_ctl in a temporary folder, on a free port, trust auth. PostgreSQL
    refuses to run as root: as root the server runs as the ``postgres`` user, in a
    folder that user owns."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            # pytest's tmp folders are private to root; postgres needs its own.
            folder = Path(tempfile.mkdtemp(prefix="tsunagi-pg-"))
            shutil.chown(folder, "postgres", "postgres")
        self.folder = folder
        self.data = folder / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _bin(self, name: str) -> str:
        found = shutil.which(name)
        if found:
            return found
        for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
            return str(candidate)
        raise RuntimeError(f"{name} is not installed")

    def _run(self, args: list[str], check: bool = True) -> None:
        if self.as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        result = subprocess.run(args, check=False, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()[-500:]}")

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._run([self._bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"])

    def start(self) -> None:
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "pg.log"),
                "-w",
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )

    def stop(self) -> None:
        self._run([self._bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class ComposeRedis:
    """redis-server started with docker-compose.yml's own command (its ACL users, one per
    service, append-only), each ``${…_PASSWORD}`` filled with a fresh password: the
    production Redis, on a free port in ``folder``."""

    def __init__(self, folder: Path) -> None:
        import re
        import secrets

        import yaml

        from shared.settings import PROJECT_ROOT

        compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
        self.folder = folder
        self.port = free_port()
        self.passwords: dict[str, str] = {}

        def fill(match: re.Match[str]) -> str:
            service = match.group(1).lower()
            return self.passwords.setdefault(service, secrets.token_hex(16))

        pattern = re.compile(r"\$\{TSUNAGI_REDIS_([A-Z]+)_PASSWORD[^}]*\}")
        self.command = [pattern.sub(fill, arg) for arg in compose["services"]["redis"]["command"]]
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, service: str) -> str:
        return f"redis://{service}:{self.passwords[service]}@127.0.0.1:{self.port}/0"

    @property
    def aof_dir(self) -> Path:
        return self.folder / "appendonlydir"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        where = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            [*self.command, *where, "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None
