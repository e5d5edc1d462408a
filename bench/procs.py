"""Processes the bench starts and what it reads about them: free ports, a private
redis-server, and per-process memory and CPU from ``/proc``."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from shared.cli.processes import free_port, start_embedded_redis

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server configured as ``make up`` starts it (append-only, fsync every second)."""
    port = free_port()
    process, url = start_embedded_redis(folder, port)
    try:
        yield url, process
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the process's peak resident memory so far."""
    kb = _status_kb(pid, "VmHWM")
    return round(kb / 1024, 1) if kb is not None else None


def rss_mb(pid: int) -> float | None:
    kb = _status_kb(pid, "VmRSS")
    return round(kb / 1024, 1) if kb is not None else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process (not its children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


def cpu_seconds_by_name(comm: str) -> dict[int, float]:
    """User + system CPU of every process named ``comm`` (``postgres``: the server's
    backends, one per connection, and its helpers), by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != comm:
                continue
        except OSError:
            continue
        cpu = cpu_seconds(int(entry.name))
        if cpu is not None:
            found[int(entry.name)] = cpu
    return found
